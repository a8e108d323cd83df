package main

import (
	"context"
	"flag"
	"io"

	"github.com/banklink/banklink/facade"
)

// runMoneyKit handles `banklink moneykit <group> <verb> ...`.
func runMoneyKit(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	if len(args) < 2 {
		return report(stderr, usagef("usage: banklink moneykit link-sessions create|exchange ..., or links get|update|delete <link_id>"))
	}
	group, verb, rest := args[0], args[1], args[2:]
	var g globals
	fs := flag.NewFlagSet("moneykit "+group+" "+verb, flag.ContinueOnError)
	g.register(fs)

	var call func(mk *facade.MoneyKit, pos []string) (any, error)
	switch group + " " + verb {
	case "link-sessions create":
		var userID, redirect, institution, existing, webhook string
		var tags multi
		fs.StringVar(&userID, "customer-user-id", "", "your id for the user (4 to 150 characters)")
		fs.StringVar(&redirect, "redirect-uri", "", "where the user returns after OAuth; no query parameters")
		fs.StringVar(&institution, "institution-id", "", "skip the institution picker")
		fs.StringVar(&existing, "existing-link-id", "", "reconnect this link")
		fs.StringVar(&webhook, "webhook", "", "webhook URL for the link")
		fs.Var(&tags, "tag", "link tag (repeatable)")
		call = func(mk *facade.MoneyKit, pos []string) (any, error) {
			if err := wantArgs(fs.Name(), pos); err != nil {
				return nil, err
			}
			var opts []facade.LinkSessionOption
			if institution != "" {
				opts = append(opts, facade.WithInstitution(institution))
			}
			if existing != "" {
				opts = append(opts, facade.WithExistingLink(existing))
			}
			if webhook != "" {
				opts = append(opts, facade.WithWebhook(webhook))
			}
			if len(tags) > 0 {
				opts = append(opts, facade.WithLinkTags(tags...))
			}
			return mk.LinkSessions.Create(ctx, facade.NewLinkSession(userID, redirect, opts...))
		}
	case "link-sessions exchange":
		call = func(mk *facade.MoneyKit, pos []string) (any, error) {
			if err := wantArgs(fs.Name(), pos, "<exchangeable_token>"); err != nil {
				return nil, err
			}
			return mk.LinkSessions.Exchange(ctx, pos[0])
		}
	case "links get":
		call = func(mk *facade.MoneyKit, pos []string) (any, error) {
			if err := wantArgs(fs.Name(), pos, "<link_id>"); err != nil {
				return nil, err
			}
			return mk.Links.Get(ctx, pos[0])
		}
	case "links update":
		var webhook string
		var removeWebhook bool
		var tags multi
		fs.StringVar(&webhook, "webhook", "", "new webhook URL")
		fs.BoolVar(&removeWebhook, "remove-webhook", false, "remove the link's webhook")
		fs.Var(&tags, "tag", "link tag (repeatable); replaces the link's tags")
		call = func(mk *facade.MoneyKit, pos []string) (any, error) {
			if err := wantArgs(fs.Name(), pos, "<link_id>"); err != nil {
				return nil, err
			}
			var updates []facade.LinkUpdate
			switch {
			case webhook != "" && removeWebhook:
				return nil, usagef("--webhook and --remove-webhook exclude each other")
			case webhook != "":
				updates = append(updates, facade.SetWebhook(webhook))
			case removeWebhook:
				updates = append(updates, facade.RemoveWebhook())
			}
			if len(tags) > 0 {
				updates = append(updates, facade.SetLinkTags(tags...))
			}
			if len(updates) == 0 {
				return nil, usagef("%s: nothing to update: give --webhook, --remove-webhook or --tag", fs.Name())
			}
			return mk.Links.Update(ctx, pos[0], updates...)
		}
	case "links delete":
		call = func(mk *facade.MoneyKit, pos []string) (any, error) {
			if err := wantArgs(fs.Name(), pos, "<link_id>"); err != nil {
				return nil, err
			}
			if err := mk.Links.Delete(ctx, pos[0]); err != nil {
				return nil, err
			}
			return map[string]any{"link_id": pos[0], "deleted": true}, nil
		}
	case "webhooks trigger":
		call = moneyKitWebhooksTrigger(ctx, fs)
	default:
		return report(stderr, usagef("unknown command: moneykit %s %s", group, verb))
	}

	pos, err := parse(fs, rest)
	if err != nil {
		return report(stderr, err)
	}
	opts, err := g.options(stderr, getenv, "MONEYKIT")
	if err != nil {
		return report(stderr, err)
	}
	mk, err := facade.NewMoneyKit(opts...)
	if err != nil {
		return report(stderr, usagef("%v", err))
	}
	out, err := call(mk, pos)
	if err != nil {
		return report(stderr, err)
	}
	return report(stderr, printJSON(stdout, out))
}
