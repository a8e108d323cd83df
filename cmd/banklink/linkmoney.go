package main

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/banklink/banklink/facade/linkmoney"
)

// linkMoneyCmd is `banklink linkmoney`.
func linkMoneyCmd(a *app) *cobra.Command {
	return group(a, "linkmoney", "Link Money: sessions, payments and refunds",
		`  banklink linkmoney sessions create --first-name Jane --last-name Doe --email jane@example.com \
    --redirect-url https://merchant.example/return --amount 25.00
  banklink linkmoney payments create --customer-id "$CUSTOMER_ID" --amount 12.34`,
		group(a, "sessions", "Create sessions for Link Money's hosted UI",
			`  banklink linkmoney sessions create --first-name Jane --last-name Doe --email jane@example.com --redirect-url https://merchant.example/return`,
			sessionsCreateCmd(a)),
		group(a, "payments", "Make and release payments",
			`  banklink linkmoney payments create --customer-id "$CUSTOMER_ID" --merchant-id "$LINKMONEY_MERCHANT_ID" --amount 12.34`,
			paymentsCreateCmd(a),
			paymentsReleaseCmd(a)),
		group(a, "transactions", "Read a payment's status",
			`  banklink linkmoney transactions get "$PAYMENT_ID"`,
			transactionsGetCmd(a)),
		group(a, "refunds", "Refund payments",
			`  banklink linkmoney refunds create --payment-id "$PAYMENT_ID" --amount 1.00`,
			refundsCreateCmd(a)),
		group(a, "webhooks", "Manage webhook subscriptions",
			`  banklink linkmoney webhooks subscribe --url https://merchant.example/webhooks/linkmoney --secret "$LINKMONEY_WEBHOOK_SECRET"`,
			linkMoneyWebhooksSubscribeCmd(a),
			linkMoneyWebhooksUnsubscribeCmd(a)),
	)
}

// linkMoneyRun builds a Link Money client from the global flags and the
// environment, calls fn and prints its result as JSON.
func (a *app) linkMoneyRun(fn func(ctx context.Context, lm *linkmoney.Client) (any, error)) func(*cobra.Command, []string) error {
	return a.linkMoneyRunArgs(func(ctx context.Context, lm *linkmoney.Client, _ []string) (any, error) { return fn(ctx, lm) })
}

// linkMoneyRunArgs is linkMoneyRun for commands with positional arguments.
func (a *app) linkMoneyRunArgs(fn func(ctx context.Context, lm *linkmoney.Client, args []string) (any, error)) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		opts, err := a.options("LINKMONEY")
		if err != nil {
			return err
		}
		lm, err := linkmoney.New(opts...)
		if err != nil {
			return usagef("%v", err)
		}
		out, err := fn(c.Context(), lm, args)
		if err != nil {
			return err
		}
		return printJSON(a.out, out)
	}
}

func sessionsCreateCmd(a *app) *cobra.Command {
	var first, last, email, phone, redirect, product, amount, requestKey string
	c := &cobra.Command{
		Use:   "create --first-name F --last-name L --email E --redirect-url U",
		Short: "Start a session and print its sessionKey and sessionUrl",
		Example: `  banklink linkmoney sessions create --first-name Jane --last-name Doe --email jane@example.com \
    --redirect-url https://merchant.example/return
  banklink linkmoney sessions create --first-name Jane --last-name Doe --email jane@example.com \
    --redirect-url https://merchant.example/return --amount 25.00   # LINK_MANAGED_PAYMENT`,
		Args: exactArgs(),
		RunE: a.linkMoneyRun(func(ctx context.Context, lm *linkmoney.Client) (any, error) {
			var opts []linkmoney.SessionOption
			if product != "" {
				opts = append(opts, linkmoney.WithProduct(linkmoney.SessionProduct(product)))
			}
			if amount != "" {
				amt, err := linkmoney.ParseUSD(amount)
				if err != nil {
					return nil, usagef("--amount: %v", err)
				}
				var popts []linkmoney.PaymentOption
				if requestKey != "" {
					popts = append(popts, linkmoney.WithRequestKey(requestKey))
				}
				opts = append(opts, linkmoney.WithOrder(amt), linkmoney.WithPayment(amt, popts...))
			} else if requestKey != "" {
				return nil, usagef("--request-key goes with --amount")
			}
			return lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{
				FirstName: first, LastName: last, Email: email, Phone: phone,
			}, redirect, opts...))
		}),
	}
	f := c.Flags()
	f.StringVar(&first, "first-name", "", "customer first name")
	f.StringVar(&last, "last-name", "", "customer last name")
	f.StringVar(&email, "email", "", "customer email")
	f.StringVar(&phone, "phone", "", "customer phone number")
	f.StringVar(&redirect, "redirect-url", "", "where the customer returns; must be pre-approved by Link Money")
	f.StringVar(&product, "product", "", "PAY or VERIFY (default PAY)")
	f.StringVar(&amount, "amount", "", "take a payment in Link Money's UI (LINK_MANAGED_PAYMENT), in dollars, e.g. 12.34")
	f.StringVar(&requestKey, "request-key", "", "idempotency key of that payment (generated when absent)")
	return c
}

func paymentsCreateCmd(a *app) *cobra.Command {
	var customerID, merchantID, amount string
	var po paymentFlags
	c := &cobra.Command{
		Use:   "create --customer-id ID --merchant-id ID --amount 12.34",
		Short: "Debit a customer and print the payment",
		Example: `  banklink linkmoney payments create --customer-id "$CUSTOMER_ID" --merchant-id "$LINKMONEY_MERCHANT_ID" --amount 12.34 \
    --request-key order-1042 --soft-descriptor "ORDER 1042"`,
		Args: exactArgs(),
		RunE: a.linkMoneyRun(func(ctx context.Context, lm *linkmoney.Client) (any, error) {
			amt, err := linkmoney.ParseUSD(amount)
			if err != nil {
				return nil, usagef("--amount: %v", err)
			}
			merchant := merchantID
			if merchant == "" {
				merchant = a.getenv("LINKMONEY_MERCHANT_ID")
			}
			return lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, merchant, amt, po.options()...))
		}),
	}
	f := c.Flags()
	f.StringVar(&customerID, "customer-id", "", "the paying customer")
	f.StringVar(&merchantID, "merchant-id", "", "your merchant id (default $LINKMONEY_MERCHANT_ID)")
	f.StringVar(&amount, "amount", "", "amount in dollars, e.g. 12.34")
	po.register(f)
	return c
}

func paymentsReleaseCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "release <payment_id>",
		Short: "Release a payment Link Money held after decisioning, and print it",
		Long: `Release a payment Link Money held after decisioning, and print it. Link
Money's documentation gives the method as both PUT and POST; banklink sends
POST (unconfirmed).`,
		Example: `  banklink linkmoney payments release "$PAYMENT_ID"`,
		Args:    exactArgs("<payment_id>"),
		RunE: a.linkMoneyRunArgs(func(ctx context.Context, lm *linkmoney.Client, args []string) (any, error) {
			return lm.Payments.Release(ctx, args[0])
		}),
	}
}

func transactionsGetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "get <payment_id>",
		Short: "Print a payment's current status (and achReturnCode once it failed)",
		Long: `Print a payment's current status: CREATED, PENDING, AUTHORIZED, SCHEDULED,
INITIATED, then SUCCEEDED, or TERMINAL_FAILED or RETRYABLE_FAILED with an
achReturnCode (or CANCELED). The read is
GET /v1/transactions/{id}, which Link Money does not document (unconfirmed);
webhooks remain the documented way to follow a payment.`,
		Example: `  banklink linkmoney transactions get "$PAYMENT_ID" | jq -r .transactionStatus`,
		Args:    exactArgs("<payment_id>"),
		RunE: a.linkMoneyRunArgs(func(ctx context.Context, lm *linkmoney.Client, args []string) (any, error) {
			return lm.Payments.Status(ctx, args[0])
		}),
	}
}

func refundsCreateCmd(a *app) *cobra.Command {
	var paymentID, amount string
	var po paymentFlags
	c := &cobra.Command{
		Use:     "create --payment-id ID --amount 1.00",
		Short:   "Refund part or all of a payment and print the refund, its id as refundId",
		Example: `  banklink linkmoney refunds create --payment-id "$PAYMENT_ID" --amount 1.00 --request-key refund-1042`,
		Args:    exactArgs(),
		RunE: a.linkMoneyRun(func(ctx context.Context, lm *linkmoney.Client) (any, error) {
			amt, err := linkmoney.ParseUSD(amount)
			if err != nil {
				return nil, usagef("--amount: %v", err)
			}
			ref, err := lm.Refunds.Create(ctx, linkmoney.NewRefund(paymentID, amt, po.options()...))
			if err != nil {
				return nil, err
			}
			return refundView(ref)
		}),
	}
	f := c.Flags()
	f.StringVar(&paymentID, "payment-id", "", "the payment to refund")
	f.StringVar(&amount, "amount", "", "amount in dollars, e.g. 1.00")
	po.register(f)
	return c
}

// paymentFlags are the optional flags payments and refunds share.
type paymentFlags struct {
	requestKey, softDescriptor, clientReferenceID string
}

func (p *paymentFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&p.requestKey, "request-key", "", "idempotency key (generated when absent)")
	fs.StringVar(&p.softDescriptor, "soft-descriptor", "", "text for the bank statement, at most 80 letters, digits and spaces")
	fs.StringVar(&p.clientReferenceID, "client-reference-id", "", "your own id for this payment")
}

func (p *paymentFlags) options() []linkmoney.PaymentOption {
	var opts []linkmoney.PaymentOption
	if p.requestKey != "" {
		opts = append(opts, linkmoney.WithRequestKey(p.requestKey))
	}
	if p.softDescriptor != "" {
		opts = append(opts, linkmoney.WithSoftDescriptor(p.softDescriptor))
	}
	if p.clientReferenceID != "" {
		opts = append(opts, linkmoney.WithClientReferenceID(p.clientReferenceID))
	}
	return opts
}
