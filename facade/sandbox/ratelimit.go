package sandbox

import (
	"sync"
	"time"
)

// limiter enforces rate limits as sliding windows: a request is allowed if
// fewer than N requests were allowed under the same key in the preceding
// span. This is the strictest reading of "N per minute", so a client that
// stays within it stays within any gentler implementation too.
type limiter struct {
	mu      sync.Mutex
	windows map[string]*window
}

// window is a ring of the times of the last N allowed requests.
type window struct {
	times []time.Time
	head  int // index of the oldest entry
	n     int
}

type limitCheck struct {
	key string
	lim rateLimit
}

func newLimiter() *limiter { return &limiter{windows: map[string]*window{}} }

// allow reports whether a request may pass every check at now. If it may, it
// is counted under every key; if not, nothing is counted and wait is how long
// until a slot frees under the most constrained key.
func (l *limiter) allow(now time.Time, checks []limitCheck) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ws := make([]*window, len(checks))
	for i, c := range checks {
		w := l.windows[c.key]
		if w == nil {
			w = &window{times: make([]time.Time, c.lim.requests)}
			l.windows[c.key] = w
		}
		ws[i] = w
		if w.n < len(w.times) {
			continue
		}
		if free := w.times[w.head].Add(c.lim.per); now.Before(free) {
			if d := free.Sub(now); d > wait {
				wait = d
			}
		}
	}
	if wait > 0 {
		return wait, false
	}
	for _, w := range ws {
		if w.n < len(w.times) {
			w.times[(w.head+w.n)%len(w.times)] = now
			w.n++
			continue
		}
		w.times[w.head] = now
		w.head = (w.head + 1) % len(w.times)
	}
	return 0, true
}
