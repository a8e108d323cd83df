package main

import (
	"context"
	"flag"
	"io"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/gen/linkmoney"
)

// runLinkMoney handles `banklink linkmoney <group> create ...`.
func runLinkMoney(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	if len(args) < 2 {
		return report(stderr, usagef("usage: banklink linkmoney sessions|payments|refunds create ..."))
	}
	group, verb, rest := args[0], args[1], args[2:]
	var g globals
	fs := flag.NewFlagSet("linkmoney "+group+" "+verb, flag.ContinueOnError)
	g.register(fs)

	var call func(lm *facade.LinkMoney) (any, error)
	switch group + " " + verb {
	case "sessions create":
		var first, last, email, phone, redirect, product, amount, requestKey string
		fs.StringVar(&first, "first-name", "", "customer first name")
		fs.StringVar(&last, "last-name", "", "customer last name")
		fs.StringVar(&email, "email", "", "customer email")
		fs.StringVar(&phone, "phone", "", "customer phone number")
		fs.StringVar(&redirect, "redirect-url", "", "where the customer returns; must be pre-approved by Link Money")
		fs.StringVar(&product, "product", "", "PAY or VERIFY (default PAY)")
		fs.StringVar(&amount, "amount", "", "take a payment in Link Money's UI (LINK_MANAGED_PAYMENT), in dollars, e.g. 12.34")
		fs.StringVar(&requestKey, "request-key", "", "idempotency key of that payment (generated when absent)")
		call = func(lm *facade.LinkMoney) (any, error) {
			var opts []facade.SessionOption
			if product != "" {
				opts = append(opts, facade.WithProduct(linkmoney.SessionProduct(product)))
			}
			if amount != "" {
				amt, err := facade.ParseUSD(amount)
				if err != nil {
					return nil, usagef("--amount: %v", err)
				}
				var popts []facade.PaymentOption
				if requestKey != "" {
					popts = append(popts, facade.WithRequestKey(requestKey))
				}
				opts = append(opts, facade.WithOrder(amt), facade.WithPayment(amt, popts...))
			} else if requestKey != "" {
				return nil, usagef("--request-key goes with --amount")
			}
			return lm.Sessions.Create(ctx, facade.NewSession(facade.SessionCustomer{
				FirstName: first, LastName: last, Email: email, Phone: phone,
			}, redirect, opts...))
		}
	case "payments create":
		var customerID, merchantID, amount string
		var po paymentFlags
		fs.StringVar(&customerID, "customer-id", "", "the paying customer")
		fs.StringVar(&merchantID, "merchant-id", "", "your merchant id")
		fs.StringVar(&amount, "amount", "", "amount in dollars, e.g. 12.34")
		po.register(fs)
		call = func(lm *facade.LinkMoney) (any, error) {
			amt, err := facade.ParseUSD(amount)
			if err != nil {
				return nil, usagef("--amount: %v", err)
			}
			return lm.Payments.Create(ctx, facade.NewPayment(customerID, merchantID, amt, po.options()...))
		}
	case "refunds create":
		var paymentID, amount string
		var po paymentFlags
		fs.StringVar(&paymentID, "payment-id", "", "the payment to refund")
		fs.StringVar(&amount, "amount", "", "amount in dollars, e.g. 1.00")
		po.register(fs)
		call = func(lm *facade.LinkMoney) (any, error) {
			amt, err := facade.ParseUSD(amount)
			if err != nil {
				return nil, usagef("--amount: %v", err)
			}
			return lm.Refunds.Create(ctx, facade.NewRefund(paymentID, amt, po.options()...))
		}
	case "webhooks subscribe", "webhooks unsubscribe":
		call = linkMoneyWebhooks(ctx, fs, verb, getenv)
	default:
		return report(stderr, usagef("unknown command: linkmoney %s %s", group, verb))
	}

	pos, err := parse(fs, rest)
	if err != nil {
		return report(stderr, err)
	}
	if err := wantArgs(fs.Name(), pos); err != nil {
		return report(stderr, err)
	}
	opts, err := g.options(stderr, getenv, "LINKMONEY")
	if err != nil {
		return report(stderr, err)
	}
	lm, err := facade.NewLinkMoney(opts...)
	if err != nil {
		return report(stderr, usagef("%v", err))
	}
	out, err := call(lm)
	if err != nil {
		return report(stderr, err)
	}
	return report(stderr, printJSON(stdout, out))
}

// paymentFlags are the optional flags payments and refunds share.
type paymentFlags struct {
	requestKey, softDescriptor, clientReferenceID string
}

func (p *paymentFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.requestKey, "request-key", "", "idempotency key (generated when absent)")
	fs.StringVar(&p.softDescriptor, "soft-descriptor", "", "text for the bank statement, at most 80 letters, digits and spaces")
	fs.StringVar(&p.clientReferenceID, "client-reference-id", "", "your own id for this payment")
}

func (p *paymentFlags) options() []facade.PaymentOption {
	var opts []facade.PaymentOption
	if p.requestKey != "" {
		opts = append(opts, facade.WithRequestKey(p.requestKey))
	}
	if p.softDescriptor != "" {
		opts = append(opts, facade.WithSoftDescriptor(p.softDescriptor))
	}
	if p.clientReferenceID != "" {
		opts = append(opts, facade.WithClientReferenceID(p.clientReferenceID))
	}
	return opts
}
