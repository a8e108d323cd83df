-- banklink mirror schema, version 1 (SQLite). Amounts are exact decimal
-- TEXT as the provider sent them; timestamps are UTC RFC 3339 TEXT.
CREATE TABLE links (
	link_id          TEXT PRIMARY KEY,
	institution_id   TEXT NOT NULL DEFAULT '',
	institution_name TEXT NOT NULL DEFAULT '',
	state            TEXT NOT NULL DEFAULT '',
	error_code       TEXT NOT NULL DEFAULT '',
	sync_cursor      TEXT NOT NULL DEFAULT '',
	synced_at        TEXT,
	state_changed_at TEXT,
	deleted_at       TEXT,
	last_error       TEXT NOT NULL DEFAULT '',
	skipped_products TEXT NOT NULL DEFAULT '',
	sync_open        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE accounts (
	account_id        TEXT PRIMARY KEY,
	link_id           TEXT NOT NULL,
	name              TEXT NOT NULL DEFAULT '',
	account_type      TEXT NOT NULL DEFAULT '',
	account_mask      TEXT NOT NULL DEFAULT '',
	currency          TEXT NOT NULL DEFAULT '',
	balance_current   TEXT,
	balance_available TEXT,
	balance_limit     TEXT,
	updated_at        TEXT NOT NULL
);
CREATE INDEX accounts_link_id ON accounts (link_id);

CREATE TABLE transactions (
	transaction_id  TEXT PRIMARY KEY,
	link_id         TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	amount          TEXT NOT NULL,
	type            TEXT NOT NULL,
	currency        TEXT NOT NULL DEFAULT '',
	date            TEXT NOT NULL,
	datetime        TEXT,
	description     TEXT NOT NULL DEFAULT '',
	raw_description TEXT NOT NULL DEFAULT '',
	category        TEXT NOT NULL DEFAULT '',
	pending         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX transactions_link_id ON transactions (link_id, pending);

-- Pending transactions a sync run has reported so far; they replace the
-- link's stored pending set when the run's last page commits.
CREATE TABLE pending_staged (
	transaction_id  TEXT PRIMARY KEY,
	link_id         TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	amount          TEXT NOT NULL,
	type            TEXT NOT NULL,
	currency        TEXT NOT NULL DEFAULT '',
	date            TEXT NOT NULL,
	datetime        TEXT,
	description     TEXT NOT NULL DEFAULT '',
	raw_description TEXT NOT NULL DEFAULT '',
	category        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pending_staged_link_id ON pending_staged (link_id);

CREATE TABLE payments (
	payment_id          TEXT PRIMARY KEY,
	customer_id         TEXT NOT NULL DEFAULT '',
	amount              TEXT,
	currency            TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL DEFAULT '',
	client_reference_id TEXT NOT NULL DEFAULT '',
	request_key         TEXT NOT NULL DEFAULT '',
	ach_return_code     TEXT NOT NULL DEFAULT '',
	updated_at          TEXT NOT NULL
);

CREATE TABLE refunds (
	refund_id           TEXT PRIMARY KEY,
	payment_id          TEXT NOT NULL DEFAULT '',
	amount              TEXT,
	currency            TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL DEFAULT '',
	client_reference_id TEXT NOT NULL DEFAULT '',
	request_key         TEXT NOT NULL DEFAULT '',
	ach_return_code     TEXT NOT NULL DEFAULT '',
	updated_at          TEXT NOT NULL
);

CREATE TABLE webhook_events (
	provider    TEXT NOT NULL,
	event_key   TEXT NOT NULL,
	type        TEXT NOT NULL DEFAULT '',
	received_at TEXT NOT NULL,
	PRIMARY KEY (provider, event_key)
);
