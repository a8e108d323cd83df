package mirror

import (
	"context"
	"database/sql/driver"
	"hash/fnv"
)

// linkGate serialises syncs of one link inside this process. It is a
// one-slot semaphore rather than a sync.Mutex so that a waiter can give up
// with its context and a reconcile can try without waiting.
type linkGate struct {
	slot    chan struct{}
	waiters int // guarded by Mirror.linkMu
}

// linkLock is a held link: lk.db is where the sync's statements go (on
// Postgres the connection that holds the advisory lock).
type linkLock struct {
	db     execer
	unlock func()
}

// lockLink takes the link for a sync. In this process a gate per link
// orders the syncs. On Postgres, a session-level advisory lock keyed by the
// link id (pg_advisory_lock, or pg_try_advisory_lock when not waiting) is
// then taken on a connection the sync keeps until it ends, so that one
// instance of a fleet syncs a link at a time; Postgres releases it if the
// process dies. On SQLite no lock spans the sync: each page's transaction
// checks that the stored cursor is still the one the page was read from.
func (m *Mirror) lockLink(ctx context.Context, linkID string, wait bool) (*linkLock, bool, error) {
	m.linkMu.Lock()
	g := m.links[linkID]
	if g == nil {
		g = &linkGate{slot: make(chan struct{}, 1)}
		m.links[linkID] = g
	}
	g.waiters++
	m.linkMu.Unlock()
	release := func() {
		m.linkMu.Lock()
		if g.waiters--; g.waiters == 0 {
			delete(m.links, linkID)
		}
		m.linkMu.Unlock()
	}
	if wait {
		select {
		case g.slot <- struct{}{}:
		case <-ctx.Done():
			release()
			return nil, false, ctx.Err()
		}
	} else {
		select {
		case g.slot <- struct{}{}:
		default:
			release()
			return nil, false, nil
		}
	}
	local := func() { <-g.slot; release() }

	if _, ok := m.dialect.(postgresDialect); !ok {
		return &linkLock{db: m.db, unlock: local}, true, nil
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		local()
		return nil, false, m.dbErr(err)
	}
	key := advisoryKey(linkID)
	got := true
	if wait {
		_, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key)
	} else {
		err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got)
	}
	if err != nil || !got {
		conn.Close()
		local()
		return nil, false, m.dbErr(err)
	}
	return &linkLock{db: conn, unlock: func() {
		// A fresh context: the unlock must happen even when the sync's
		// context was cancelled. Should it fail, closing the connection
		// ends the session, which releases the lock as well.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
		local()
	}}, true, nil
}

// advisoryKey is the advisory lock key of a link: FNV-1a of a banklink
// prefix and the link id, as the bigint Postgres takes.
func advisoryKey(linkID string) int64 {
	h := fnv.New64a()
	h.Write([]byte("banklink.mirror.link\x00"))
	h.Write([]byte(linkID))
	return int64(h.Sum64())
}
