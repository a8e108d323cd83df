package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"iter"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/banklink/banklink/facade/moneykit"
)

// The data commands: accounts, identity, transactions, investments,
// institutions, link lists and refreshes, users' data and introspection.
//
// A paged command prints the one page it is asked for (--cursor, --page) as
// one JSON document, whose cursor or page number says where the next starts.
// With --all it walks every page from there and prints each item as one
// compact JSON line, so the output pipes into jq -c or a line reader; an
// error part-way exits 1 after the lines already printed.

// moneyKitStream builds a MoneyKit client like moneyKitRun and gives fn a
// printer of JSON lines.
func (a *app) moneyKitStream(fn func(ctx context.Context, mk *moneykit.Client, args []string, line func(any) error) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		opts, err := a.options("MONEYKIT")
		if err != nil {
			return err
		}
		mk, err := moneykit.New(opts...)
		if err != nil {
			return usagef("%v", err)
		}
		return fn(c.Context(), mk, args, func(v any) error { return printLine(a.out, v) })
	}
}

// printLine writes v as one compact JSON line.
func printLine(w io.Writer, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// printAll prints every item of seq as a JSON line and returns the error
// that stopped it.
func printAll[T any](seq iter.Seq2[T, error], line func(any) error) error {
	for it, err := range seq {
		if err != nil {
			return err
		}
		if err := line(it); err != nil {
			return err
		}
	}
	return nil
}

// txnFlags are the selection flags of the page-numbered transaction lists.
type txnFlags struct {
	accountIDs multi
	start, end string
	page, size int
	all        bool
}

func (t *txnFlags) register(fs *pflag.FlagSet, accountFlag string) {
	fs.Var(&t.accountIDs, accountFlag, "keep only this account's transactions (repeatable)")
	fs.StringVar(&t.start, "start-date", "", "first date, YYYY-MM-DD (inclusive)")
	fs.StringVar(&t.end, "end-date", "", "last date, YYYY-MM-DD (inclusive)")
	fs.IntVar(&t.page, "page", 0, "page to print, or to start --all at, from 1 (default 1)")
	fs.IntVar(&t.size, "size", 0, "transactions per page, 1 to 1000 (default 50)")
	fs.BoolVar(&t.all, "all", false, "print every transaction from --page on, one JSON line each")
}

func (t *txnFlags) params() (moneykit.TransactionsParams, error) {
	p := moneykit.TransactionsParams{AccountIDs: t.accountIDs, Page: t.page, Size: t.size}
	var err error
	if p.StartDate, err = parseDate("--start-date", t.start); err != nil {
		return p, err
	}
	if p.EndDate, err = parseDate("--end-date", t.end); err != nil {
		return p, err
	}
	return p, nil
}

func parseDate(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, usagef("%s must be a date as YYYY-MM-DD, got %q", flag, s)
	}
	return d, nil
}

// linkProducts reads --product values for a link session: the products a
// session can request.
func linkProducts(vals []string) ([]moneykit.Product, error) {
	out := make([]moneykit.Product, len(vals))
	for i, v := range vals {
		switch p := moneykit.Product(v); p {
		case moneykit.ProductAccounts, moneykit.ProductTransactions, moneykit.ProductAccountNumbers,
			moneykit.ProductIdentity, moneykit.ProductInvestments:
			out[i] = p
		default:
			return nil, usagef("--product must be one of accounts, transactions, account_numbers, identity, investments; got %q", v)
		}
	}
	return out, nil
}

// ---------------------------------------------------------------- accounts

func accountsGroup(a *app) *cobra.Command {
	return group(a, "accounts", "Read a link's accounts, balances and account numbers",
		`  banklink moneykit accounts list mk_eqkWN34UEoa2NxyALG8pcV`,
		accountsListCmd(a), accountsGetCmd(a), accountsNumbersCmd(a))
}

func accountsListCmd(a *app) *cobra.Command {
	var ids multi
	c := &cobra.Command{
		Use:   "list <link_id> [--account-id A]...",
		Short: "Print a link's accounts with their balances",
		Example: `  banklink moneykit accounts list mk_eqkWN34UEoa2NxyALG8pcV
  banklink moneykit accounts list mk_eqkWN34UEoa2NxyALG8pcV --account-id acc_1 --account-id acc_2`,
		Args: exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			return mk.Accounts.List(ctx, args[0], ids)
		}),
	}
	c.Flags().Var(&ids, "account-id", "keep only this account (repeatable)")
	return c
}

func accountsGetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "get <link_id> <account_id>",
		Short:   "Print one account of a link",
		Example: `  banklink moneykit accounts get mk_eqkWN34UEoa2NxyALG8pcV acc_6Tef269vT7zSNHgvAUnqFT`,
		Args:    exactArgs("<link_id>", "<account_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			return mk.Accounts.Get(ctx, args[0], args[1])
		}),
	}
}

func accountsNumbersCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "numbers <link_id>",
		Short:   "Print a link's accounts with their ACH, EFT, BACS and international numbers",
		Example: `  banklink moneykit accounts numbers mk_eqkWN34UEoa2NxyALG8pcV`,
		Args:    exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			return mk.Accounts.Numbers(ctx, args[0])
		}),
	}
}

// ---------------------------------------------------------------- identity

func identityGroup(a *app) *cobra.Command {
	return group(a, "identity", "Read the owners of a link's accounts",
		`  banklink moneykit identity get mk_eqkWN34UEoa2NxyALG8pcV`,
		identityGetCmd(a))
}

func identityGetCmd(a *app) *cobra.Command {
	var ids multi
	c := &cobra.Command{
		Use:     "get <link_id> [--account-id A]...",
		Short:   "Print a link's accounts with their owners' names, addresses, phones and emails",
		Example: `  banklink moneykit identity get mk_eqkWN34UEoa2NxyALG8pcV > owners.json   # personal data: keep it out of logs`,
		Args:    exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			return mk.Identity.Get(ctx, args[0], ids)
		}),
	}
	c.Flags().Var(&ids, "account-id", "keep only this account (repeatable)")
	return c
}

// ------------------------------------------------------------ transactions

func transactionsGroup(a *app) *cobra.Command {
	return group(a, "transactions", "Read, sync and recategorise a link's transactions",
		`  banklink moneykit transactions sync mk_eqkWN34UEoa2NxyALG8pcV --all`,
		transactionsListCmd(a), transactionsSyncCmd(a), transactionsEnrichCmd(a))
}

// txnPageCmd is a page-numbered transaction list: one page as a JSON
// document, or with --all every item as a JSON line.
func txnPageCmd[T, R any](a *app, use, short, example, arg string,
	page func(ctx context.Context, mk *moneykit.Client, id string, p moneykit.TransactionsParams) (R, error),
	pager func(mk *moneykit.Client, id string, p moneykit.TransactionsParams) *moneykit.PagePager[T]) *cobra.Command {
	var tf txnFlags
	c := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    exactArgs(arg),
		RunE: a.moneyKitStream(func(ctx context.Context, mk *moneykit.Client, args []string, line func(any) error) error {
			p, err := tf.params()
			if err != nil {
				return err
			}
			if tf.all {
				return printAll(pager(mk, args[0], p).All(ctx), line)
			}
			r, err := page(ctx, mk, args[0], p)
			if err != nil {
				return err
			}
			return printJSON(a.out, r)
		}),
	}
	tf.register(c.Flags(), "account-id")
	return c
}

func transactionsListCmd(a *app) *cobra.Command {
	return txnPageCmd(a, "list <link_id> [--page N] [--size N] [--all]",
		"Print a page of a link's transactions, newest first, or every one with --all",
		`  banklink moneykit transactions list mk_eqkWN34UEoa2NxyALG8pcV --start-date 2026-01-01 --size 100
  banklink moneykit transactions list mk_eqkWN34UEoa2NxyALG8pcV --all | jq -r .amount`,
		"<link_id>",
		func(ctx context.Context, mk *moneykit.Client, id string, p moneykit.TransactionsParams) (*moneykit.GetTransactionsResponse, error) {
			return mk.Transactions.List(ctx, id, p)
		},
		func(mk *moneykit.Client, id string, p moneykit.TransactionsParams) *moneykit.PagePager[moneykit.Transaction] {
			return mk.Transactions.Pager(id, p)
		})
}

func transactionsSyncCmd(a *app) *cobra.Command {
	var cursor string
	var size int
	var all bool
	c := &cobra.Command{
		Use:   "sync <link_id> [--cursor C] [--all]",
		Short: "Print the transactions created, updated and removed after a cursor",
		Long: `Print the transactions created, updated and removed after --cursor (the whole
history without one). Without --all it prints one response, whose cursor.next
and has_more say where to go on. With --all it calls again until has_more is
false and prints each batch as one JSON line {"created", "updated", "removed",
"cursor"}: once a line's changes are applied, its cursor is the one to keep.`,
		Example: `  banklink moneykit transactions sync mk_eqkWN34UEoa2NxyALG8pcV --all > changes.jsonl
  banklink moneykit transactions sync mk_eqkWN34UEoa2NxyALG8pcV --all --cursor "$(tail -1 changes.jsonl | jq -r .cursor)"`,
		Args: exactArgs("<link_id>"),
		RunE: a.moneyKitStream(func(ctx context.Context, mk *moneykit.Client, args []string, line func(any) error) error {
			if all {
				if size != 0 {
					return usagef("--size goes without --all: the sync loop asks for the largest batches")
				}
				return printAll(mk.Transactions.Sync(args[0], cursor).All(ctx), func(v any) error {
					b := v.(moneykit.SyncBatch)
					return line(syncLine{Created: nonNil(b.Created), Updated: nonNil(b.Updated), Removed: nonNil(b.Removed), Cursor: b.Cursor})
				})
			}
			r, err := mk.Transactions.SyncPage(ctx, args[0], cursor, size)
			if err != nil {
				return err
			}
			return printJSON(a.out, r)
		}),
	}
	f := c.Flags()
	f.StringVar(&cursor, "cursor", "", "continue after this cursor (a previous cursor.next, or a line's cursor)")
	f.IntVar(&size, "size", 0, "changes per response, 1 to 500 (default 50; not with --all)")
	f.BoolVar(&all, "all", false, "sync until has_more is false, one JSON line per batch")
	return c
}

// syncLine is one batch of transactions sync --all.
type syncLine struct {
	Created []moneykit.TransactionResponse `json:"created"`
	Updated []moneykit.TransactionResponse `json:"updated"`
	Removed []string                       `json:"removed"`
	Cursor  string                         `json:"cursor"`
}

// nonNil prints an empty list as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func transactionsEnrichCmd(a *app) *cobra.Command {
	var category, subcategory string
	c := &cobra.Command{
		Use:     "enrich <link_id> <transaction_id> --category C [--subcategory S]",
		Short:   "Correct a transaction's category; the next sync reports it as updated",
		Example: `  banklink moneykit transactions enrich mk_eqkWN34UEoa2NxyALG8pcV txn_5e1uyZmbHWPNqA3gBSCDP3 --category food_and_drink --subcategory groceries`,
		Args:    exactArgs("<link_id>", "<transaction_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			if category == "" {
				return nil, usagef("moneykit transactions enrich: --category is required")
			}
			return mk.Transactions.UpdateEnrichment(ctx, args[0], args[1], category, subcategory)
		}),
	}
	c.Flags().StringVar(&category, "category", "", "the transaction's category")
	c.Flags().StringVar(&subcategory, "subcategory", "", "its subcategory")
	return c
}

// ------------------------------------------------------------- investments

func investmentsGroup(a *app) *cobra.Command {
	return group(a, "investments", "Read a link's investment holdings and transactions",
		`  banklink moneykit investments holdings mk_eqkWN34UEoa2NxyALG8pcV`,
		investmentsHoldingsCmd(a), investmentsTransactionsCmd(a))
}

func investmentsHoldingsCmd(a *app) *cobra.Command {
	var ids multi
	c := &cobra.Command{
		Use:     "holdings <link_id> [--account-id A]...",
		Short:   "Print the holdings and securities of a link's investment accounts",
		Example: `  banklink moneykit investments holdings mk_eqkWN34UEoa2NxyALG8pcV`,
		Args:    exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			return mk.Investments.Holdings(ctx, args[0], ids)
		}),
	}
	c.Flags().Var(&ids, "account-id", "keep only this account (repeatable)")
	return c
}

func investmentsTransactionsCmd(a *app) *cobra.Command {
	return txnPageCmd(a, "transactions <link_id> [--page N] [--size N] [--all]",
		"Print a page of a link's investment transactions, or every one with --all",
		`  banklink moneykit investments transactions mk_eqkWN34UEoa2NxyALG8pcV --all`,
		"<link_id>",
		func(ctx context.Context, mk *moneykit.Client, id string, p moneykit.TransactionsParams) (*moneykit.GetInvestmentTransactionsResponse, error) {
			return mk.Investments.Transactions(ctx, id, p)
		},
		func(mk *moneykit.Client, id string, p moneykit.TransactionsParams) *moneykit.PagePager[moneykit.InvestmentTransaction] {
			return mk.Investments.TransactionsPager(id, p)
		})
}

// ------------------------------------------------------------ institutions

func institutionsGroup(a *app) *cobra.Command {
	return group(a, "institutions", "Search MoneyKit's institutions",
		`  banklink moneykit institutions list --name chase`,
		institutionsListCmd(a), institutionsGetCmd(a))
}

func institutionsListCmd(a *app) *cobra.Command {
	var p moneykit.InstitutionsParams
	var all bool
	c := &cobra.Command{
		Use:   "list [--name N] [--featured] [--cursor C] [--all]",
		Short: "Print a page of institutions, or every one with --all",
		Example: `  banklink moneykit institutions list --featured
  banklink moneykit institutions list --name bank --all | jq -r .name`,
		Args: exactArgs(),
		RunE: a.moneyKitStream(func(ctx context.Context, mk *moneykit.Client, _ []string, line func(any) error) error {
			if all {
				return printAll(mk.Institutions.Pager(p).All(ctx), line)
			}
			r, err := mk.Institutions.List(ctx, p)
			if err != nil {
				return err
			}
			return printJSON(a.out, r)
		}),
	}
	f := c.Flags()
	f.StringVar(&p.Name, "name", "", "keep institutions whose name contains this")
	f.BoolVar(&p.Featured, "featured", false, "keep only featured institutions")
	f.StringVar(&p.Cursor, "cursor", "", "start at this page (a previous cursors.next)")
	f.IntVar(&p.Limit, "limit", 0, "institutions per page, 1 to 1000 (default 50)")
	f.BoolVar(&all, "all", false, "print every institution from --cursor on, one JSON line each")
	return c
}

func institutionsGetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "get <institution_id>",
		Short:   "Print one institution, by id or alias",
		Example: `  banklink moneykit institutions get chase`,
		Args:    exactArgs("<institution_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			return mk.Institutions.Get(ctx, args[0])
		}),
	}
}

// ------------------------------------------------------------------- links

func linksListCmd(a *app) *cobra.Command {
	var p moneykit.LinksParams
	var all bool
	c := &cobra.Command{
		Use:   "list [--cursor C] [--limit N] [--all]",
		Short: "Print a page of the application's active links, or every one with --all",
		Example: `  banklink moneykit links list
  banklink moneykit links list --all | jq -r .link_id`,
		Args: exactArgs(),
		RunE: a.moneyKitStream(func(ctx context.Context, mk *moneykit.Client, _ []string, line func(any) error) error {
			if all {
				return printAll(mk.Links.Pager(p).All(ctx), line)
			}
			r, err := mk.Links.List(ctx, p)
			if err != nil {
				return err
			}
			return printJSON(a.out, r)
		}),
	}
	f := c.Flags()
	f.StringVar(&p.Cursor, "cursor", "", "start at this page (a previous next_cursor)")
	f.IntVar(&p.Limit, "limit", 0, "links per page, 500 to 5000 (default 1000)")
	f.BoolVar(&all, "all", false, "print every link from --cursor on, one JSON line each")
	return c
}

func linksRefreshCmd(a *app) *cobra.Command {
	var products multi
	c := &cobra.Command{
		Use:   "refresh <link_id> --product P...",
		Short: "Ask MoneyKit to fetch products of a link again",
		Long: `Ask MoneyKit to fetch products of a link again: accounts, transactions,
account_numbers, identity, investments. MoneyKit accepts the request and
fetches later, announcing it with a link.product_refresh webhook; it allows
accounts and transactions hourly, numbers and identity daily (HTTP 429 when
too soon). Prints the link when MoneyKit returns it, else {"link_id",
"accepted": true}.`,
		Example: `  banklink moneykit links refresh mk_eqkWN34UEoa2NxyALG8pcV --product transactions --product accounts`,
		Args:    exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			if len(products) == 0 {
				return nil, usagef("moneykit links refresh: give at least one --product")
			}
			ps := make([]moneykit.Product, len(products))
			for i, p := range products {
				ps[i] = moneykit.Product(p)
			}
			link, err := mk.Links.Refresh(ctx, args[0], ps)
			if err != nil {
				return nil, err
			}
			if link == nil {
				return map[string]any{"link_id": args[0], "accepted": true}, nil
			}
			return linkView(link)
		}),
	}
	c.Flags().Var(&products, "product", "product to refresh (repeatable)")
	return c
}

func linksResetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "reset <link_id>",
		Short:   "Force a sandbox link into error auth_expired, to test reconnecting",
		Example: `  banklink moneykit links reset mk_eqkWN34UEoa2NxyALG8pcV`,
		Args:    exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			link, err := mk.Links.Reset(ctx, args[0])
			if err != nil {
				return nil, err
			}
			return linkView(link)
		}),
	}
}

// importMax is MoneyKit's documented import body limit.
const importMax = 1 << 20

// readImport decodes the JSON document of --file (a path, or - for standard
// input) into v, refusing unknown fields and documents over MoneyKit's 1 MB.
func (a *app) readImport(file string, v any) error {
	if file == "" {
		return usagef("--file is required: a JSON document, or - for standard input")
	}
	var r io.Reader
	if file == "-" {
		if a.g.secretStdin {
			return usagef("--file - and --client-secret-stdin both read standard input; give the document as a file")
		}
		r = a.in
	} else {
		f, err := os.Open(file)
		if err != nil {
			return usagef("--file: %v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, importMax+1))
	if err != nil {
		return usagef("--file: reading: %v", err)
	}
	if len(b) > importMax {
		return usagef("--file: the document is over MoneyKit's import limit of 1 MB")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return usagef("--file: not the expected JSON document: %v", err)
	}
	if dec.More() {
		return usagef("--file: more than one JSON document")
	}
	return nil
}

func linksImportCmd(a *app) *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "import --file F",
		Short: "Create a link from accounts and transactions held elsewhere",
		Long: `Create a link from accounts and transactions held elsewhere (POST /links/import).
--file is an ImportLinkRequest as JSON: customer_user, institution_id,
accounts and transactions, at most 1 MB. The link starts in state error with
auth_expired until the user reconnects it (link-sessions create
--existing-link-id). A failed import is not retried once MoneyKit may have
seen it.`,
		Example: `  banklink moneykit links import --file import.json
  jq -c . import.json | banklink moneykit links import --file -`,
		Args: exactArgs(),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, _ []string) (any, error) {
			var req moneykit.ImportLinkRequest
			if err := a.readImport(file, &req); err != nil {
				return nil, err
			}
			link, err := mk.Links.Import(ctx, &req)
			if err != nil {
				return nil, err
			}
			return linkView(link)
		}),
	}
	c.Flags().StringVar(&file, "file", "", "the request as JSON, or - for standard input")
	return c
}

func linksImportTransactionsCmd(a *app) *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "import-transactions <link_id> --file F",
		Short: "Add transactions to an imported link",
		Long: `Add transactions to an imported link (POST /links/{id}/import/transactions).
--file is a JSON array of transactions as links import takes them. A failed
import is not retried once MoneyKit may have seen it.`,
		Example: `  banklink moneykit links import-transactions mk_eqkWN34UEoa2NxyALG8pcV --file more.json`,
		Args:    exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			var txns []moneykit.TransactionImportData
			if err := a.readImport(file, &txns); err != nil {
				return nil, err
			}
			link, err := mk.Links.ImportTransactions(ctx, args[0], txns)
			if err != nil {
				return nil, err
			}
			return linkView(link)
		}),
	}
	c.Flags().StringVar(&file, "file", "", "the transactions as a JSON array, or - for standard input")
	return c
}

// ------------------------------------------------------------------- users

func usersGroup(a *app) *cobra.Command {
	return group(a, "users", "Read the links, accounts and transactions of one of your users",
		`  banklink moneykit users accounts user-42`,
		usersLinksCmd(a), usersAccountsCmd(a), usersTransactionsCmd(a))
}

func usersLinksCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "links <customer_user_id>",
		Short:   "Print a user's links, keyed by link id",
		Example: `  banklink moneykit users links user-42`,
		Args:    exactArgs("<customer_user_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			return mk.Users.Links(ctx, args[0])
		}),
	}
}

func usersAccountsCmd(a *app) *cobra.Command {
	var ids multi
	c := &cobra.Command{
		Use:     "accounts <customer_user_id> [--account-id A]...",
		Short:   "Print the accounts of every link of a user, keyed by link id",
		Example: `  banklink moneykit users accounts user-42`,
		Args:    exactArgs("<customer_user_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			return mk.Users.Accounts(ctx, args[0], ids)
		}),
	}
	c.Flags().Var(&ids, "account-id", "keep only this account (repeatable)")
	return c
}

func usersTransactionsCmd(a *app) *cobra.Command {
	return txnPageCmd(a, "transactions <customer_user_id> [--page N] [--size N] [--all]",
		"Print a page of the transactions of every link of a user, or every one with --all",
		`  banklink moneykit users transactions user-42 --start-date 2026-01-01 --all`,
		"<customer_user_id>",
		func(ctx context.Context, mk *moneykit.Client, id string, p moneykit.TransactionsParams) (*moneykit.GetUserTransactionsResponse, error) {
			return mk.Users.Transactions(ctx, id, p)
		},
		func(mk *moneykit.Client, id string, p moneykit.TransactionsParams) *moneykit.PagePager[moneykit.Transaction] {
			return mk.Users.TransactionsPager(id, p)
		})
}

// -------------------------------------------------------------------- auth

func moneyKitAuthGroup(a *app) *cobra.Command {
	return group(a, "auth", "Inspect the credentials in use",
		`  banklink moneykit auth introspect`,
		&cobra.Command{
			Use:     "introspect",
			Short:   "Print the application and client behind the credentials, and their scope",
			Example: `  banklink moneykit auth introspect`,
			Args:    exactArgs(),
			RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, _ []string) (any, error) {
				return mk.Auth.Introspect(ctx)
			}),
		})
}
