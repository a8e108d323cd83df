package main

import (
	"context"

	"github.com/banklink/banklink/facade/moneykit"
	"github.com/spf13/cobra"
)

// moneyKitCmd is `banklink moneykit`.
func moneyKitCmd(a *app) *cobra.Command {
	return group(a, "moneykit", "MoneyKit: link sessions, links and the data they read",
		`  banklink moneykit link-sessions create --customer-user-id user-42 --redirect-uri https://app.example/oauth
  banklink moneykit links get mk_eqkWN34UEoa2NxyALG8pcV
  banklink moneykit accounts list mk_eqkWN34UEoa2NxyALG8pcV
  banklink moneykit transactions sync mk_eqkWN34UEoa2NxyALG8pcV --all`,
		group(a, "link-sessions", "Create link sessions and exchange Connect's token",
			`  banklink moneykit link-sessions create --customer-user-id user-42 --redirect-uri https://app.example/oauth`,
			linkSessionsCreateCmd(a),
			linkSessionsExchangeCmd(a)),
		group(a, "links", "List, read, update, refresh, reset, import and delete links",
			`  banklink moneykit links get mk_eqkWN34UEoa2NxyALG8pcV`,
			linksGetCmd(a),
			linksListCmd(a),
			linksUpdateCmd(a),
			linksRefreshCmd(a),
			linksResetCmd(a),
			linksImportCmd(a),
			linksImportTransactionsCmd(a),
			linksDeleteCmd(a)),
		accountsGroup(a),
		identityGroup(a),
		transactionsGroup(a),
		investmentsGroup(a),
		institutionsGroup(a),
		usersGroup(a),
		moneyKitAuthGroup(a),
		group(a, "webhooks", "Send test webhooks",
			`  banklink moneykit webhooks trigger mk_eqkWN34UEoa2NxyALG8pcV --event link.state_changed`,
			moneyKitWebhooksTriggerCmd(a)),
	)
}

// moneyKitRun builds a MoneyKit client from the global flags and the
// environment, calls fn and prints its result as JSON.
func (a *app) moneyKitRun(fn func(ctx context.Context, mk *moneykit.Client, args []string) (any, error)) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		opts, err := a.options("MONEYKIT")
		if err != nil {
			return err
		}
		mk, err := moneykit.New(opts...)
		if err != nil {
			return usagef("%v", err)
		}
		out, err := fn(c.Context(), mk, args)
		if err != nil {
			return err
		}
		return printJSON(a.out, out)
	}
}

func linkSessionsCreateCmd(a *app) *cobra.Command {
	var userID, redirect, institution, existing, webhook string
	var tags, products multi
	c := &cobra.Command{
		Use:   "create --customer-user-id ID --redirect-uri URI",
		Short: "Start a link session and print its link_session_token for Connect",
		Example: `  banklink moneykit link-sessions create --customer-user-id user-42 --redirect-uri https://app.example/oauth \
    --institution-id chase --webhook https://app.example/moneykit/webhook --tag checkout --product transactions`,
		Args: exactArgs(),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, _ []string) (any, error) {
			var opts []moneykit.LinkSessionOption
			if institution != "" {
				opts = append(opts, moneykit.WithInstitution(institution))
			}
			if existing != "" {
				opts = append(opts, moneykit.WithExistingLink(existing))
			}
			if webhook != "" {
				opts = append(opts, moneykit.WithWebhook(webhook))
			}
			if len(tags) > 0 {
				opts = append(opts, moneykit.WithLinkTags(tags...))
			}
			if len(products) > 0 {
				ps, err := linkProducts(products)
				if err != nil {
					return nil, err
				}
				opts = append(opts, moneykit.WithProducts(ps...))
			}
			return mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(userID, redirect, opts...))
		}),
	}
	f := c.Flags()
	f.StringVar(&userID, "customer-user-id", "", "your id for the user (4 to 150 characters)")
	f.StringVar(&redirect, "redirect-uri", "", "where the user returns after OAuth; no query parameters")
	f.StringVar(&institution, "institution-id", "", "skip the institution picker")
	f.StringVar(&existing, "existing-link-id", "", "reconnect this link")
	f.StringVar(&webhook, "webhook", "", "webhook URL for the link")
	f.Var(&tags, "tag", "link tag (repeatable)")
	f.Var(&products, "product", "product the user must grant besides accounts: transactions, account_numbers, identity, investments (repeatable)")
	return c
}

func linkSessionsExchangeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "exchange <exchangeable_token>",
		Short:   "Trade Connect's single-use exchangeable token for the new link",
		Example: `  banklink moneykit link-sessions exchange "$(banklink sandbox connect "$LINK_SESSION_TOKEN")"`,
		Args:    exactArgs("<exchangeable_token>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			res, err := mk.LinkSessions.Exchange(ctx, args[0])
			if err != nil {
				return nil, err
			}
			out, err := toObject(res)
			if err != nil {
				return nil, err
			}
			link, err := linkView(&res.Link)
			if err != nil {
				return nil, err
			}
			raw, err := link.MarshalJSON()
			if err != nil {
				return nil, err
			}
			return out.set("link", raw), nil
		}),
	}
}

func linksGetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "get <link_id>",
		Short: "Print a link; a recently deleted link shows state \"deleted\"",
		Example: `  banklink moneykit links get mk_eqkWN34UEoa2NxyALG8pcV
  banklink --verbose moneykit links get mk_eqkWN34UEoa2NxyALG8pcV   # log each attempt to stderr`,
		Args: exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			link, err := mk.Links.Get(ctx, args[0])
			if err != nil {
				return nil, err
			}
			return linkView(link)
		}),
	}
}

func linksUpdateCmd(a *app) *cobra.Command {
	var webhook string
	var removeWebhook bool
	var tags multi
	c := &cobra.Command{
		Use:   "update <link_id> [--webhook URL | --remove-webhook] [--tag T]...",
		Short: "Change a link's webhook or tags",
		Example: `  banklink moneykit links update mk_eqkWN34UEoa2NxyALG8pcV --tag checkout --tag vip
  banklink moneykit links update mk_eqkWN34UEoa2NxyALG8pcV --remove-webhook`,
		Args: exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			var updates []moneykit.LinkUpdate
			switch {
			case webhook != "" && removeWebhook:
				return nil, usagef("--webhook and --remove-webhook exclude each other")
			case webhook != "":
				updates = append(updates, moneykit.SetWebhook(webhook))
			case removeWebhook:
				updates = append(updates, moneykit.RemoveWebhook())
			}
			if len(tags) > 0 {
				updates = append(updates, moneykit.SetLinkTags(tags...))
			}
			if len(updates) == 0 {
				return nil, usagef("moneykit links update: nothing to update: give --webhook, --remove-webhook or --tag")
			}
			link, err := mk.Links.Update(ctx, args[0], moneykit.NewLinkUpdate(updates...))
			if err != nil {
				return nil, err
			}
			return linkView(link)
		}),
	}
	f := c.Flags()
	f.StringVar(&webhook, "webhook", "", "new webhook URL")
	f.BoolVar(&removeWebhook, "remove-webhook", false, "remove the link's webhook")
	f.Var(&tags, "tag", "link tag (repeatable); replaces the link's tags")
	return c
}

func linksDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "delete <link_id>",
		Short:   "Disconnect a link; it stays readable in state \"deleted\" for 90 days",
		Example: `  banklink moneykit links delete mk_eqkWN34UEoa2NxyALG8pcV`,
		Args:    exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			if err := mk.Links.Delete(ctx, args[0]); err != nil {
				return nil, err
			}
			return map[string]any{"link_id": args[0], "deleted": true}, nil
		}),
	}
}
