package sandbox

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
	"hash/fnv"
	"net/http"
	"strconv"
	"time"
)

type faultMode int

const (
	modeNone faultMode = iota
	modeStatus
	modeDrop
	modeTruncate
)

// decision is what happens to one request.
type decision struct {
	latency    time.Duration
	mode       faultMode
	status     int
	after      bool
	retryAfter time.Duration
}

func (d decision) String() string {
	var s string
	switch d.mode {
	case modeStatus:
		s = "status " + strconv.Itoa(d.status)
	case modeDrop:
		s = "drop"
	case modeTruncate:
		s = "truncate"
	}
	if d.after && d.mode != modeTruncate {
		s += " after handling"
	}
	return s
}

// decide draws the fault decision for the next request to op. The n-th
// request of an operation (counted from when a fault applies to it) gets a
// decision that depends only on the seed, the operationId and n.
func (s *Sandbox) decide(op *opInfo) decision {
	fm := *s.faults.Load()
	if len(fm) == 0 {
		return decision{}
	}
	f, ok := fm[op.id]
	if !ok {
		f, ok = fm["*"]
	}
	if !ok || f.Rate <= 0 {
		return decision{}
	}
	n := s.counters[op.id].Add(1) - 1
	x := splitmix64(uint64(s.cfg.Seed) ^ opHash(op.id) + n*0x9E3779B97F4A7C15)
	if unitFloat(x) >= f.Rate {
		return decision{}
	}
	d := decision{latency: f.Latency, after: f.AfterHandling, retryAfter: f.RetryAfter}
	modes := len(f.Statuses)
	if f.Drop {
		modes++
	}
	if f.Truncate {
		modes++
	}
	if modes == 0 {
		return d
	}
	i := int(splitmix64(x) % uint64(modes))
	switch {
	case i < len(f.Statuses):
		d.mode, d.status = modeStatus, f.Statuses[i]
	case f.Drop && i == len(f.Statuses):
		d.mode = modeDrop
	default:
		d.mode = modeTruncate
	}
	return d
}

func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

func unitFloat(x uint64) float64 { return float64(x>>11) / (1 << 53) }

func opHash(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()
}

// writeInjected answers with an injected error status in the provider's
// shape; a MoneyKit 4xx the operation documents carries the error code its
// spec schema declares, so SDKs decode it as they would the real one.
func (s *Sandbox) writeInjected(w http.ResponseWriter, op *opInfo, d decision) {
	provider := op.provider
	if d.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(d.retryAfter)))
		w.Header().Set("Retry-After-Ms", strconv.FormatInt(d.retryAfter.Milliseconds(), 10))
	}
	if d.status == http.StatusTooManyRequests {
		s.writeRateLimited(w, provider)
		return
	}
	if provider == provMoneyKit {
		code := map[int]string{
			500: "api_error.internal_server_error",
			502: "api_error.bad_gateway",
			503: "api_error.service_unavailable",
			504: "api_error.gateway_timeout",
		}[d.status]
		if code == "" {
			code = documentedErrorCode(op, d.status)
		}
		if code == "" {
			code = "api_error.unknown"
		}
		s.writeMK(w, d.status, code, statusText(d.status))
		return
	}
	switch d.status {
	case 500:
		s.writeLM(w, d.status, "INTERNAL_SERVER_ERROR", "Please reach out to Support")
	case 502, 503, 504:
		s.writeLM(w, d.status, "SERVICE_UNAVAILABLE", statusText(d.status))
	default:
		s.writeLM(w, d.status, "ERROR", statusText(d.status))
	}
}

// documentedErrorCode is the error_code default of the schema op documents
// for status (the first alternative of a oneOf), or "".
func documentedErrorCode(op *opInfo, status int) string {
	ref := op.route.Operation.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return ""
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return ""
	}
	var walk func(*openapi3.Schema, int) string
	walk = func(sc *openapi3.Schema, depth int) string {
		if sc == nil || depth > 8 {
			return ""
		}
		if p := sc.Properties["error_code"]; p != nil && p.Value != nil {
			if code, ok := p.Value.Default.(string); ok {
				return code
			}
		}
		for _, list := range []openapi3.SchemaRefs{sc.AllOf, sc.OneOf} {
			for _, r := range list {
				if code := walk(r.Value, depth+1); code != "" {
					return code
				}
			}
		}
		return ""
	}
	return walk(mt.Schema.Value, 0)
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return fmt.Sprintf("Status %d", code)
}

// drop closes the client's connection without a response.
func (s *Sandbox) drop(w http.ResponseWriter, rs *reqState) {
	rs.status, rs.statusSet = 0, true
	s.finish(rs, 0)
	closeConn(w)
}

// truncate writes the real status and headers, half of the body, and closes
// the connection.
func (s *Sandbox) truncate(w http.ResponseWriter, bw *bufferWriter, rs *reqState) {
	status := bw.status
	if status == 0 {
		status = http.StatusOK
	}
	body := bw.buf.Bytes()
	h := w.Header()
	for k, v := range bw.h {
		h[k] = v
	}
	if len(body) > 0 {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	rs.status, rs.statusSet = status, true
	s.finish(rs, status)
	w.WriteHeader(status)
	_, _ = w.Write(body[:len(body)/2])
	_ = http.NewResponseController(w).Flush()
	closeConn(w)
}

// closeConn ends the connection abruptly: by hijacking it where the server
// allows that, or else by aborting the handler, which net/http answers by
// closing the connection (or resetting the HTTP/2 stream).
func closeConn(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err == nil {
		if buf != nil {
			_ = buf.Flush()
		}
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}
