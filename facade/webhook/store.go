package webhook

import (
	"context"
	"sync"
	"time"
)

// Store remembers which deliveries were handled, so that a redelivered event
// reaches the handler once. Implementations must be safe for concurrent use;
// a fleet of receivers shares one (for example Redis SET key NX EX ttl).
type Store interface {
	// Claim records key for ttl if it is not already recorded, and reports
	// whether this call recorded it (true: handle the event; false: a
	// duplicate).
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Release forgets key, so that a redelivery is handled again. The
	// handler calls it when the user's function failed.
	Release(ctx context.Context, key string) error
}

// MemoryStore is an in-process Store whose keys expire after their TTL.
// Expired keys are swept as new ones arrive, so memory stays bounded by the
// keys claimed within one TTL.
type MemoryStore struct {
	now func() time.Time

	mu     sync.Mutex
	keys   map[string]time.Time // key → expiry
	claims int
}

// NewMemoryStore returns an empty MemoryStore on the given clock (time.Now
// when nil).
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, keys: map[string]time.Time{}}
}

// Claim implements Store.
func (m *MemoryStore) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims++
	if m.claims%256 == 0 {
		for k, exp := range m.keys {
			if !now.Before(exp) {
				delete(m.keys, k)
			}
		}
	}
	if exp, ok := m.keys[key]; ok && now.Before(exp) {
		return false, nil
	}
	m.keys[key] = now.Add(ttl)
	return true, nil
}

// Release implements Store.
func (m *MemoryStore) Release(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.keys, key)
	m.mu.Unlock()
	return nil
}

// Len returns the number of keys held, expired ones not yet swept included.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

// SeenStore is the method set of fleet.DedupeStore (declared here so that
// this package does not import facade): Seen records a key for ttl and
// reports whether it was already recorded; Forget drops it.
type SeenStore interface {
	Seen(ctx context.Context, key string, ttl time.Duration) (seen bool, err error)
	Forget(ctx context.Context, key string) error
}

// FleetStore adapts a fleet's dedupe store, any fleet.DedupeStore such as
// the Redis one of facade/redisfleet (Fleet.Dedupe()), to a Store, so that
// a delivery the provider sends again, to any instance, reaches one handler:
//
//	h := webhook.MoneyKitHandler(v, fn, webhook.WithStore(webhook.FleetStore(fleet.Dedupe())))
func FleetStore(s SeenStore) Store { return seenStore{s} }

type seenStore struct{ s SeenStore }

func (a seenStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	seen, err := a.s.Seen(ctx, key, ttl)
	if err != nil {
		return false, err
	}
	return !seen, nil
}

func (a seenStore) Release(ctx context.Context, key string) error { return a.s.Forget(ctx, key) }
