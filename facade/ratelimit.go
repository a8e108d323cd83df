package facade

import (
	"sync"
	"sync/atomic"
	"time"
)

// maxGateWindow bounds how long one 429 keeps the gate closed, whatever its
// Retry-After says.
const maxGateWindow = time.Hour

// gate is the client-wide "blocked until" time set by a 429. Every attempt of
// every caller checks it first, so after one caller is told to back off the
// others wait out the same window instead of each drawing its own 429.
type gate struct {
	until atomic.Int64 // unix nanoseconds; 0 = open

	mu   sync.Mutex
	last *Error // the 429 that set the current window
}

// block extends the window to end no earlier than t.
func (g *gate) block(t time.Time, cause *Error) {
	n := t.UnixNano()
	for {
		cur := g.until.Load()
		if cur >= n {
			return
		}
		if g.until.CompareAndSwap(cur, n) {
			g.mu.Lock()
			g.last = cause
			g.mu.Unlock()
			return
		}
	}
}

// remaining is how long the window still runs at now (0 when open), and the
// response that opened it.
func (g *gate) remaining(now time.Time) (time.Duration, *Error) {
	u := g.until.Load()
	if u == 0 {
		return 0, nil
	}
	d := time.Duration(u - now.UnixNano())
	if d <= 0 {
		return 0, nil
	}
	g.mu.Lock()
	last := g.last
	g.mu.Unlock()
	return d, last
}
