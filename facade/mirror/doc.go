// Package mirror keeps what MoneyKit links and Link Money payments say in
// the user's own database, current and crash-safe: links, accounts and
// balances, transactions, payments, refunds and the webhook events applied.
// SQLite (modernc.org/sqlite, pure Go) is the embedded default; Postgres
// (jackc/pgx v5) serves a fleet of instances.
//
//	m, err := mirror.Open(ctx, "sqlite:banklink.db") // or "postgres://…", or os.Getenv(mirror.EnvDB)
//	res, err := m.SyncLink(ctx, mirror.MoneyKitClient(mk), linkID)
//	http.Handle("/webhooks/", m.Handler(mirror.HandlerConfig{MoneyKitVerifier: v, MoneyKit: mirror.MoneyKitClient(mk)}))
//
// The command `banklink mirror sync|serve|status` is this package on the
// command line.
//
// # The schema
//
// Users query the tables, so they are a contract (README, "Keeping a
// copy"). On Postgres they live in the schema "banklink" (WithSchema).
// Amounts are the provider's exact decimals, TEXT in SQLite and NUMERIC in
// Postgres, never a float; MoneyKit's balances, which its API sends as JSON
// numbers, are stored as the shortest decimal that reads back as the same
// number (the text MoneyKit sent, for up to 15 significant digits).
// Timestamps are UTC: RFC 3339 text in SQLite, timestamptz in Postgres.
//
//	links            link_id (key), institution_id, institution_name, state, error_code,
//	                 sync_cursor, synced_at, state_changed_at, deleted_at, last_error, skipped_products
//	accounts         account_id (key), link_id, name, account_type, account_mask, currency,
//	                 balance_current, balance_available, balance_limit, updated_at
//	transactions     transaction_id (key), link_id, account_id, amount, type (credit/debit), currency,
//	                 date, datetime, description, raw_description, category, pending
//	payments         payment_id (key), customer_id, amount, currency, status, client_reference_id,
//	                 request_key, ach_return_code, updated_at
//	refunds          refund_id (key), payment_id, amount, currency, status, client_reference_id,
//	                 request_key, ach_return_code, updated_at
//	webhook_events   provider, event_key, type, received_at; unique (provider, event_key)
//
// links.sync_open and the table pending_staged are the mirror's own
// bookkeeping (see the pending rule); schema_migrations records the
// migrations applied.
//
// # Syncing a link
//
// SyncLink reads the link (GET /links/{id}), its accounts and balances,
// and the transaction sync feed from the stored cursor until has_more is
// false. Each page's changes and its new cursor commit in one database
// transaction, so a crash at any point loses nothing and applies nothing
// twice: the next sync resumes from the last committed cursor.
//
//   - Created and updated posted transactions are upserted; removed ones are
//     deleted.
//   - MoneyKit's pending rule: pending transactions arrive only in created
//     and are replaced wholesale with each refresh. The mirror stages a
//     run's pending transactions and, when the run's last page commits,
//     replaces the link's stored pending set with them, provided the run
//     created anything: a refresh that fetched transactions reports them in
//     created (new posted ones, and the pending set again), so a pending
//     transaction that posted or vanished goes; a run of only corrections
//     (updated) and reversals (removed) leaves the pending set alone.
//     Readers never see the old and the new pending sets together. A run
//     that crashed keeps its staged rows and finishes them when resumed.
//   - A deleted link (410 link_error.deleted, or 200 with state deleted) is
//     marked state "deleted" with deleted_at, and its accounts and
//     transactions are kept: they are the user's history. SyncAll no longer
//     visits it.
//   - A product the link was not granted (403) is skipped, logged, listed in
//     SyncResult.Skipped and in links.skipped_products.
//   - Any other failure is kept in links.last_error until a sync succeeds.
//
// # Webhooks
//
// Handler serves both providers, verified by package facade/webhook.
// Each event's key goes into webhook_events in the same transaction as the
// change it causes, so a repeat, or the same delivery reaching two
// instances, is acknowledged and applied once. A Link Money event's key is
// its own id (the delivery id only for an event without one), so a
// redelivery under a new x-signature-uniqueid is applied once too:
//
//   - transactions.updates_available syncs the link; the event is recorded
//     with the sync's last page;
//   - link.state_changed sets the link's state and error code, unless a
//     state change with a later webhook_timestamp was applied already;
//   - Link Money payment and refund events upsert their row, with the
//     amount and currency (and a payment's customer) read from Link Money
//     when the Handler has a LinkMoney. A payment's
//     status only moves forward, in this order: CREATED < PENDING <
//     AUTHORIZED < SCHEDULED < INITIATED = RETRYABLE_FAILED < SUCCEEDED =
//     TERMINAL_FAILED = CANCELED. The last three are final and never
//     change; INITIATED and RETRYABLE_FAILED may alternate while Link Money
//     retries. A status banklink does not know is kept only for a payment
//     with no known status. The same rule applies to RecordPayment and to
//     reconcile.
//
// Reconcile (and RunReconcile, on an interval) is the backstop for lost
// webhooks: every link is synced, and with a LinkMoney every payment that is
// not final is read again.
//
// # A fleet on Postgres
//
// Several processes may share one Postgres database. One sync of a link
// runs at a time: it holds a session-level advisory lock keyed by the link
// id (pg_advisory_lock) on a connection it keeps until it ends, and
// Postgres releases the lock if the process dies. SyncLink and webhook
// syncs wait for the lock; Reconcile skips a link another instance holds
// (SyncResult.Busy), since that instance is bringing it up to date. A
// webhook sync that got the lock after waiting finds its event recorded by
// the sync it waited for and does nothing. Migrations take a transaction
// advisory lock, so instances starting together migrate once.
//
// SQLite is for one process at a time per file, though two are safe: each
// page's transaction checks, under SQLite's write lock, that the stored
// cursor is still the one the page was read from, and a sync that finds it
// moved continues from the stored one.
//
// # Migrations
//
// The schema is versioned by embedded SQL files, one set per dialect
// (migrations/sqlite, migrations/postgres), applied on Open in one
// transaction that also records them in schema_migrations. A migration
// library such as pressly/goose would bring its own dependencies and
// version table for what is here a short loop, and it still needs one file
// per dialect since the types differ (TEXT or NUMERIC, TEXT or
// timestamptz). The loop also does two things the mirror needs: it refuses a
// database migrated by a newer banklink (ErrNewerSchema) before writing
// anything, and on Postgres it takes an advisory lock so that a fleet's
// instances do not migrate concurrently.
//
// Open changes nothing when it fails: an unknown scheme (ErrUnknownScheme),
// an unreachable server (ErrUnreachable), a read-only SQLite file
// (ErrReadOnly, judged by the file's mode as well as by opening it for
// writing) or a newer schema are reported before any write. Errors never
// repeat a DSN's password.
//
// # Dependencies
//
// The drivers live here, not in package facade: a program that imports
// only facade, facade/moneykit or facade/linkmoney links no SQL driver
// (go list -deps shows none); importing facade/mirror links both, which
// keeps one package for users and one code path for both databases
// (database/sql, with pgx's stdlib adapter), at the cost of a larger binary
// for a program that uses only one of them.
package mirror
