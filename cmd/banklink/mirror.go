package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/mirror"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/webhook"
	"github.com/banklink/banklink/internal/termsafe"
)

// mirrorFlags are the flags every mirror command shares.
type mirrorFlags struct {
	db, schema string
	pageSize   int
}

func mirrorCmd(a *app) *cobra.Command {
	var mf mirrorFlags
	c := group(a, "mirror", "Keep links, accounts, transactions and payments current in your own database",
		`  banklink mirror sync --db sqlite:banklink.db
  banklink mirror serve --db postgres://mirror@db/bank --listen 127.0.0.1:4030
  banklink mirror status --db sqlite:banklink.db`,
		mirrorSyncCmd(a, &mf), mirrorServeCmd(a, &mf), mirrorStatusCmd(a, &mf))
	c.Long = `The mirror keeps what MoneyKit links and Link Money payments say in a database you
query: SQLite (--db sqlite:PATH, the default kind) or Postgres (--db postgres://…, tables in
the schema "banklink", --schema to change it). --db defaults to $BANKLINK_MIRROR_DB.
Migrations run when the database is opened. The README's "Keeping a copy" section documents
the tables, the guarantees and a fleet on Postgres.`
	f := c.PersistentFlags()
	f.StringVar(&mf.db, "db", "", "the database: sqlite:PATH or postgres://… (default $"+mirror.EnvDB+")")
	f.StringVar(&mf.schema, "schema", mirror.DefaultSchema, "the Postgres schema of the mirror's tables")
	f.IntVar(&mf.pageSize, "page-size", mirror.PageSize, "transaction changes per sync page, each page one database transaction (1 to 500)")
	return c
}

// openMirror opens the database --db names. A DSN banklink cannot read is
// a usage error (exit 2); the rest (unreachable, read-only, newer schema)
// are errors of the environment (exit 1). Nothing is written either way.
func (a *app) openMirror(ctx context.Context, mf *mirrorFlags, logger *slog.Logger) (*mirror.Mirror, error) {
	dsn := mf.db
	if dsn == "" {
		dsn = a.getenv(mirror.EnvDB)
	}
	if mf.pageSize < 1 || mf.pageSize > mirror.PageSize {
		return nil, usagef("--page-size must be 1 to %d", mirror.PageSize)
	}
	m, err := mirror.Open(ctx, dsn, mirror.WithSchema(mf.schema), mirror.WithLogger(logger), mirror.WithPageSize(mf.pageSize))
	if errors.Is(err, mirror.ErrUnknownScheme) {
		return nil, usagef("--db: %s", unprefixed(err.Error()))
	}
	if errors.Is(err, mirror.ErrInvalidOption) {
		return nil, usagef("--schema: %s", unprefixed(err.Error()))
	}
	return m, err
}

func (a *app) mirrorLogger() *slog.Logger {
	level := slog.LevelWarn
	if a.g.verbose {
		level = slog.LevelDebug
	}
	return slog.New(a.tel.logHandler(slog.NewTextHandler(a.err, &slog.HandlerOptions{Level: level, ReplaceAttr: termsafe.ReplaceAttr})))
}

func (a *app) mirrorMoneyKit() (*moneykit.Client, error) {
	opts, err := a.options("MONEYKIT")
	if err != nil {
		return nil, err
	}
	mk, err := moneykit.New(opts...)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return mk, nil
}

// mirrorLinkMoney is a Link Money client from LINKMONEY_CLIENT_ID and
// LINKMONEY_CLIENT_SECRET (and LINKMONEY_BASE_URL), or nil when they are
// not set: the global flags name MoneyKit's client.
func (a *app) mirrorLinkMoney() (*linkmoney.Client, error) {
	if a.getenv("LINKMONEY_CLIENT_ID") == "" || a.getenv("LINKMONEY_CLIENT_SECRET") == "" {
		return nil, nil
	}
	lmApp := &app{ctx: a.ctx, streams: a.streams, getenv: a.getenv, tel: a.tel, g: globals{verbose: a.g.verbose, maxRetries: a.g.maxRetries}, redis: a.redis}
	opts, err := lmApp.options("LINKMONEY")
	if err != nil {
		return nil, err
	}
	lm, err := linkmoney.New(opts...)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return lm, nil
}

func mirrorSyncCmd(a *app, mf *mirrorFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "sync [link_id...]",
		Short: "Bring links, their accounts and transactions up to date (no ids: every link GET /links lists)",
		Long: `Reads each link, its accounts and balances, and its transaction sync feed from the stored
cursor, committing each page with its cursor in one transaction. Pending transactions are
replaced as a set each refresh (MoneyKit's rule); removed ones are deleted; a deleted link is
marked deleted and keeps its rows; a product the link was not granted is skipped and said so
on stderr. Prints one JSON result per link. Safe to interrupt or kill at any point: the next
sync continues from the last committed page.`,
		Example: `  banklink mirror sync --db sqlite:banklink.db
  BANKLINK_MIRROR_DB=postgres://mirror@db/bank banklink mirror sync mk_eqkWN34UEoa2NxyALG8pcV`,
		RunE: func(c *cobra.Command, ids []string) error {
			ctx := c.Context()
			mk, err := a.mirrorMoneyKit()
			if err != nil {
				return err
			}
			m, err := a.openMirror(ctx, mf, a.mirrorLogger())
			if err != nil {
				return err
			}
			defer m.Close()
			src := mirror.MoneyKitClient(mk)
			var results []*mirror.SyncResult
			var errs []error
			if len(ids) == 0 {
				results, err = m.SyncAll(ctx, src)
				errs = append(errs, err)
			}
			for _, id := range ids {
				res, err := m.SyncLink(ctx, src, id)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				results = append(results, res)
			}
			for _, r := range results {
				for _, p := range r.Skipped {
					fmt.Fprintf(a.err, "banklink: link %s was not granted %s; skipped\n", r.LinkID, p)
				}
			}
			if results == nil {
				results = []*mirror.SyncResult{}
			}
			if err := printJSON(a.out, results); err != nil {
				return err
			}
			return errors.Join(errs...)
		},
	}
}

// serveListening is called with the listener's address once mirror serve
// listens (tests use it to find the port).
var serveListening = func(net.Addr) {}

func mirrorServeCmd(a *app, mf *mirrorFlags) *cobra.Command {
	var listen, secret string
	var every time.Duration
	c := &cobra.Command{
		Use:   "serve --listen ADDR",
		Short: "Receive both providers' webhooks into the mirror, and reconcile every link on an interval",
		Long: `Serves MoneyKit webhooks at POST /webhooks/moneykit and Link Money webhooks at POST
/webhooks/linkmoney, verified by banklink's webhook package. transactions.updates_available
syncs the link, link.state_changed updates it, payment events upsert the payment without
ever moving it back to an earlier status. Each event's key is recorded in webhook_events in
the transaction of its change, so a repeat, or a delivery to two instances, is applied once.
Every --reconcile interval all links are synced (links another instance is syncing are
skipped) and payments that are not final are read from Link Money, as a backstop for lost
webhooks. Link Money is read with LINKMONEY_CLIENT_ID and LINKMONEY_CLIENT_SECRET when set.
Several instances may share one Postgres.`,
		Example: `  banklink mirror serve --db sqlite:banklink.db --listen 127.0.0.1:4030
  banklink mirror serve --db postgres://mirror@db/bank --listen :4030 --linkmoney-secret "$LINKMONEY_WEBHOOK_SECRET"`,
		Args: exactArgs(),
		RunE: func(c *cobra.Command, _ []string) error {
			if every < 0 {
				return usagef("--reconcile must be 0 (off) or a positive duration")
			}
			if secret == "" {
				secret = a.getenv("LINKMONEY_WEBHOOK_SECRET")
			}
			return a.serveMirror(c.Context(), mf, listen, secret, every)
		},
	}
	f := c.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:4030", "address to listen on")
	f.StringVar(&secret, "linkmoney-secret", "", "Link Money subscription secret (default $LINKMONEY_WEBHOOK_SECRET); without one, Link Money's route is off")
	f.DurationVar(&every, "reconcile", 15*time.Minute, "how often to sync every link as a backstop for lost webhooks (0: never)")
	return c
}

func (a *app) serveMirror(ctx context.Context, mf *mirrorFlags, listen, secret string, every time.Duration) error {
	logger := a.mirrorLogger()
	mk, err := a.mirrorMoneyKit()
	if err != nil {
		return err
	}
	lm, err := a.mirrorLinkMoney()
	if err != nil {
		return err
	}
	base, id := a.getenv("MONEYKIT_BASE_URL"), a.getenv("MONEYKIT_CLIENT_ID")
	if a.g.baseURL != "" {
		base = a.g.baseURL
	}
	if a.g.clientID != "" {
		id = a.g.clientID
	}
	v, err := webhook.NewMoneyKitVerifier(webhook.MoneyKitOptions{BaseURL: base, ClientID: id, Logger: logger})
	if err != nil {
		return usagef("%v", err)
	}
	defer v.Close()
	cfg := mirror.HandlerConfig{MoneyKitVerifier: v, MoneyKit: mirror.MoneyKitClient(mk), Options: append([]webhook.HandlerOption{webhook.WithLogger(logger)}, a.tel.webhookOptions()...)}
	if secret != "" {
		hv, err := webhook.NewHMACVerifier(secret)
		if err != nil {
			return usagef("--linkmoney-secret: %v", err)
		}
		cfg.LinkMoneyVerifier = hv
	}
	if lm != nil {
		cfg.LinkMoney = mirror.LinkMoneyClient(lm)
	}

	m, err := a.openMirror(ctx, mf, logger)
	if err != nil {
		return err
	}
	defer m.Close()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", listen)
	if err != nil {
		return fmt.Errorf("mirror serve: %w", err)
	}
	srv := &http.Server{Handler: m.Handler(cfg), ReadHeaderTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	reconciled := make(chan struct{})
	go func() {
		defer close(reconciled)
		if every > 0 {
			_ = m.RunReconcile(ctx, cfg.MoneyKit, cfg.LinkMoney, every)
		}
	}()
	fmt.Fprintf(a.err, "banklink: mirror (%s) receiving webhooks on http://%s/webhooks/moneykit and /webhooks/linkmoney; interrupt to stop\n", m.Dialect(), ln.Addr())
	serveListening(ln.Addr())
	select {
	case err = <-served:
		err = fmt.Errorf("mirror serve: %w", err)
	case <-ctx.Done():
		shutCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if serr := srv.Shutdown(shutCtx); serr != nil {
			_ = srv.Close()
		}
		stop()
		if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = fmt.Errorf("mirror serve: %w", serr)
		}
	}
	cancel()
	<-reconciled
	return err
}

func mirrorStatusCmd(a *app, mf *mirrorFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Per link: the row counts, the cursor's age and the last error",
		Example: `  banklink mirror status --db sqlite:banklink.db
  banklink mirror status --db sqlite:banklink.db | jq '.links[] | select(.last_error != "")'`,
		Args: exactArgs(),
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			m, err := a.openMirror(ctx, mf, a.mirrorLogger())
			if err != nil {
				return err
			}
			defer m.Close()
			st, err := m.Status(ctx)
			if err != nil {
				return err
			}
			counts, err := m.Counts(ctx)
			if err != nil {
				return err
			}
			type linkOut struct {
				LinkID          string   `json:"link_id"`
				InstitutionName string   `json:"institution_name"`
				State           string   `json:"state"`
				Accounts        int      `json:"accounts"`
				Transactions    int      `json:"transactions"`
				Pending         int      `json:"pending"`
				SyncedAt        string   `json:"synced_at,omitempty"`
				CursorAgeSec    *float64 `json:"cursor_age_seconds,omitempty"`
				LastError       string   `json:"last_error"`
				Skipped         []string `json:"skipped_products,omitempty"`
			}
			links := []linkOut{}
			for _, s := range st {
				o := linkOut{LinkID: s.LinkID, InstitutionName: s.InstitutionName, State: s.State, Accounts: s.Accounts,
					Transactions: s.Transactions, Pending: s.Pending, LastError: s.LastError, Skipped: s.Skipped}
				if !s.SyncedAt.IsZero() {
					age := s.CursorAge.Seconds()
					o.SyncedAt, o.CursorAgeSec = s.SyncedAt.Format(time.RFC3339), &age
				}
				links = append(links, o)
			}
			return printJSON(a.out, map[string]any{"database": m.Dialect(), "links": links, "counts": counts})
		},
	}
}
