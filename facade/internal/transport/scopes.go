package transport

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/internal/opmeta"
)

// Rate-limit scopes. Every operation is counted by the scopes of its
// documented limits (the spec's x-banklink-rate-limits, in the generated
// table): per link, per user, per app or per client. An operation without a
// documented limit has one scope of its own, per client. Scopes do three
// things:
//
//   - the Limiter paces each documented limit on its scope key, so an
//     instance (or a fleet sharing a Redis limiter) never sends what the
//     provider would refuse;
//   - a 429 cools down the narrowest scope of the operation that drew it
//     (the link, the user, else the client or app) in the CoolDownStore:
//     getLink("mk_A") drawing a 429 holds back getLink("mk_A") only, not
//     getLink("mk_B") or getUserLinks, and a 429 on the token endpoint holds
//     back token requests, not calls that already hold a token;
//   - every attempt first waits out the cool-downs of its scopes, with
//     jitter, so the callers a window held back do not all go in the same
//     millisecond.

// maxGateWindow bounds how long one 429 cools a scope down, whatever its
// Retry-After says.
const maxGateWindow = time.Hour

// opScope is one scope an operation is counted by.
type opScope struct {
	kind    string
	key     string // full key for client and app scopes; empty for link and user ones
	limit   fleet.Limit
	limited bool // a documented limit to pace; false for an operation's own scope
	seg     int  // path parameter holding the id (link, user), -1 if none
}

// opScopes are an operation's scopes; cool indexes the one a 429 cools down.
type opScopes struct {
	list []opScope
	cool int
}

// scopeRank orders kinds from narrowest to widest.
func scopeRank(kind string) int {
	switch kind {
	case fleet.ScopeLink, fleet.ScopeUser:
		return 0
	case fleet.ScopeClient:
		return 1
	}
	return 2
}

func limitKind(k opmeta.LimitKey) string {
	switch k {
	case opmeta.LimitPerLink:
		return fleet.ScopeLink
	case opmeta.LimitPerUser:
		return fleet.ScopeUser
	case opmeta.LimitPerApp:
		return fleet.ScopeApp
	}
	return fleet.ScopeClient
}

// buildScopes resolves every operation's scopes for this client.
func (c *client) buildScopes() {
	c.scopes = make([]opScopes, len(c.spec.ops))
	fp := fleet.Fingerprint(c.baseURL, c.clientID)
	for i, op := range c.spec.ops {
		if op == nil {
			continue
		}
		var s opScopes
		for _, rl := range op.meta.RateLimits {
			kind := limitKind(rl.Key)
			sc := opScope{kind: kind, limit: fleet.Limit{Requests: rl.Requests, Per: rl.Per}, limited: true, seg: -1}
			switch kind {
			case fleet.ScopeLink, fleet.ScopeUser:
				sc.seg = slices.Index(op.params, "id")
			default:
				sc.key = fleet.ScopeKey(string(c.provider), fp, op.id, kind, "")
			}
			s.list = append(s.list, sc)
		}
		if len(s.list) == 0 {
			s.list = []opScope{{kind: fleet.ScopeClient, key: fleet.ScopeKey(string(c.provider), fp, op.id, fleet.ScopeClient, ""), seg: -1}}
		}
		for j := range s.list {
			if scopeRank(s.list[j].kind) < scopeRank(s.list[s.cool].kind) {
				s.cool = j
			}
		}
		c.scopes[i] = s
	}
	c.fingerprint = fp
}

// scopeKeys returns the call's scope keys, resolved once per call.
func (x *exchange) scopeKeys() []string {
	if x.keys != nil {
		return x.keys
	}
	ss := x.c.scopes[x.op.idx].list
	keys := make([]string, len(ss))
	for i, s := range ss {
		if s.key != "" {
			keys[i] = s.key
			continue
		}
		id := x.scopeID
		if s.seg >= 0 && s.seg < len(x.path) {
			id = x.path[s.seg]
		}
		keys[i] = fleet.ScopeKey(string(x.op.provider), x.c.fingerprint, x.op.id, s.kind, id)
	}
	x.keys = keys
	return keys
}

// coolDown is how long the call's scopes stay cooled down, and the 429 that
// opened the longest window if this instance saw it (a copy of its own).
// A store that fails is skipped: the call goes on as if it held nothing.
func (x *exchange) coolDown() (time.Duration, *facade.Error) {
	c := x.c
	if c.memCoolDowns != nil && c.memCoolDowns.Idle() {
		return 0, nil
	}
	var longest time.Duration
	var key string
	for _, k := range x.scopeKeys() {
		d, err := c.coolDowns.Remaining(x.ctx, k)
		if err != nil || d <= longest {
			continue
		}
		longest, key = d, k
	}
	if longest <= 0 {
		return 0, nil
	}
	return longest, c.causes.get(key, x)
}

// jitter is the random extra wait of a caller a cool-down held back: up to
// a tenth of the window, at most a second.
func jitter(d time.Duration) time.Duration {
	j := min(d/10, time.Second)
	if j <= 0 {
		return 0
	}
	return rand.N(j)
}

// recordLimited cools down the operation's narrowest scope after apiErr, a
// 429, for the server's window (or a backoff delay when it named none).
func (x *exchange) recordLimited(apiErr *facade.Error, hinted bool) {
	c := x.c
	window := apiErr.RetryAfter
	if !hinted {
		window = c.backoff.Delay(x.retries + 1)
	}
	// A window longer than maxGateWindow is taken as a broken header: later
	// calls probe again after maxGateWindow instead of failing fast for years.
	window = min(window, maxGateWindow)
	if window <= 0 {
		return
	}
	key := x.scopeKeys()[c.scopes[x.op.idx].cool]
	c.causes.put(key, apiErr)
	if err := c.coolDowns.Extend(context.WithoutCancel(x.ctx), key, window); err != nil {
		c.logAttempt(x.ctx, x.op, x.attempts, apiErr.StatusCode, 0, apiErr.RequestID, "retry", "cool-down store failed", err)
	}
}

// limitScopes paces the call on each documented limit of its operation,
// waiting within the context, or failing fast with *RateLimitError when the
// next slot comes after the context's deadline. A limiter that fails lets
// the call go, as an instance without a shared store would.
func (x *exchange) limitScopes() error {
	c := x.c
	if !c.documentedLimits {
		return nil
	}
	ss := c.scopes[x.op.idx].list
	if !ss[0].limited {
		return nil
	}
	keys := x.scopeKeys()
	for i, s := range ss {
		for asked := 0; ; asked++ {
			d, err := c.limits.Allow(x.ctx, keys[i], s.limit, 1)
			if err != nil {
				if cerr := x.ctx.Err(); cerr != nil {
					return x.transportErr(cerr)
				}
				break
			}
			if d <= 0 {
				break
			}
			if exceedsDeadline(x.ctx, d) || asked >= maxLimitAsks {
				return &facade.RateLimitError{Operation: x.op.id, RetryAfter: d, IdempotencyKey: x.key, Scope: s.kind, Limit: s.limit}
			}
			x.traceWait(facade.WaitPacing, d)
			if err := c.wait(x.ctx, d); err != nil {
				return x.transportErr(err)
			}
		}
	}
	return nil
}

// maxLimitAsks bounds how often one call asks a limiter again after
// waiting: a slot other instances keep taking, or a WithWait that does not
// really wait, ends in *RateLimitError rather than a call that never ends.
const maxLimitAsks = 64

// maxCauses bounds the 429 answers kept for the callers a cool-down holds back.
const maxCauses = 1024

// causes keeps, per scope key, the last 429 this instance drew, so that the
// callers its window holds back can be shown the answer. Each gets a copy
// with its own Attempts and IdempotencyKey.
type causes struct {
	mu sync.Mutex
	m  map[string]*facade.Error
}

func (cs *causes) put(key string, e *facade.Error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil || len(cs.m) >= maxCauses {
		cs.m = make(map[string]*facade.Error)
	}
	cs.m[key] = e
}

func (cs *causes) get(key string, x *exchange) *facade.Error {
	cs.mu.Lock()
	e := cs.m[key]
	cs.mu.Unlock()
	if e == nil {
		return nil
	}
	cp := *e
	// The copy is this caller's own; the key the answer came with is the
	// other call's, so it is not shown.
	cp.Attempts, cp.IdempotencyKey = x.attempts, ""
	return &cp
}
