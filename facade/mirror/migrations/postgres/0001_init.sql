-- banklink mirror schema, version 1 (Postgres). Amounts are exact
-- NUMERIC as the provider sent them; timestamps are timestamptz (UTC).
CREATE TABLE links (
	link_id          TEXT PRIMARY KEY,
	institution_id   TEXT NOT NULL DEFAULT '',
	institution_name TEXT NOT NULL DEFAULT '',
	state            TEXT NOT NULL DEFAULT '',
	error_code       TEXT NOT NULL DEFAULT '',
	sync_cursor      TEXT NOT NULL DEFAULT '',
	synced_at        TIMESTAMPTZ,
	state_changed_at TIMESTAMPTZ,
	deleted_at       TIMESTAMPTZ,
	last_error       TEXT NOT NULL DEFAULT '',
	skipped_products TEXT NOT NULL DEFAULT '',
	sync_open        BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE accounts (
	account_id        TEXT PRIMARY KEY,
	link_id           TEXT NOT NULL,
	name              TEXT NOT NULL DEFAULT '',
	account_type      TEXT NOT NULL DEFAULT '',
	account_mask      TEXT NOT NULL DEFAULT '',
	currency          TEXT NOT NULL DEFAULT '',
	balance_current   NUMERIC,
	balance_available NUMERIC,
	balance_limit     NUMERIC,
	updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_link_id ON accounts (link_id);

CREATE TABLE transactions (
	transaction_id  TEXT PRIMARY KEY,
	link_id         TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	amount          NUMERIC NOT NULL,
	type            TEXT NOT NULL,
	currency        TEXT NOT NULL DEFAULT '',
	date            DATE NOT NULL,
	datetime        TIMESTAMPTZ,
	description     TEXT NOT NULL DEFAULT '',
	raw_description TEXT NOT NULL DEFAULT '',
	category        TEXT NOT NULL DEFAULT '',
	pending         BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX transactions_link_id ON transactions (link_id, pending);

-- Pending transactions a sync run has reported so far; they replace the
-- link's stored pending set when the run's last page commits.
CREATE TABLE pending_staged (
	transaction_id  TEXT PRIMARY KEY,
	link_id         TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	amount          NUMERIC NOT NULL,
	type            TEXT NOT NULL,
	currency        TEXT NOT NULL DEFAULT '',
	date            DATE NOT NULL,
	datetime        TIMESTAMPTZ,
	description     TEXT NOT NULL DEFAULT '',
	raw_description TEXT NOT NULL DEFAULT '',
	category        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pending_staged_link_id ON pending_staged (link_id);

CREATE TABLE payments (
	payment_id          TEXT PRIMARY KEY,
	customer_id         TEXT NOT NULL DEFAULT '',
	amount              NUMERIC,
	currency            TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL DEFAULT '',
	client_reference_id TEXT NOT NULL DEFAULT '',
	request_key         TEXT NOT NULL DEFAULT '',
	ach_return_code     TEXT NOT NULL DEFAULT '',
	updated_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE refunds (
	refund_id           TEXT PRIMARY KEY,
	payment_id          TEXT NOT NULL DEFAULT '',
	amount              NUMERIC,
	currency            TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL DEFAULT '',
	client_reference_id TEXT NOT NULL DEFAULT '',
	request_key         TEXT NOT NULL DEFAULT '',
	ach_return_code     TEXT NOT NULL DEFAULT '',
	updated_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_events (
	provider    TEXT NOT NULL,
	event_key   TEXT NOT NULL,
	type        TEXT NOT NULL DEFAULT '',
	received_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (provider, event_key)
);
