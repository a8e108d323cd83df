package transport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile answers to every operation of both generated tables (opCalls holds
// one call per operationId, and TestEverySpecOperationHasAFacadeMethod fails
// when an operation has none). Each answer runs in a synctest bubble against
// the fake API on an in-memory network, so a body that stalls for an hour
// takes no wall-clock time, and a call that hung would deadlock the bubble
// and fail the test. Every answer must end in a typed error, never a panic
// and never a success, and neither the error string nor the log may carry a
// credential or token.

// bodylessOps discard their 2xx body, so a 2xx with any body is their success.
var bodylessOps = map[string]bool{"deleteLink": true, "unsubscribeWebhook": true}

// rawReply answers with bytes written straight to the connection, for
// answers net/http's server would refuse to write (a 101, a status outside
// 100-999, conflicting Content-Length headers, a body that breaks off).
func rawReply(raw string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		_, _ = rw.WriteString(raw)
		_ = rw.Flush()
		_ = conn.Close()
	}
}

// slowBody answers status with a body that sends one byte, then stalls for
// an hour of the bubble's clock.
func slowBody(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "{")
		_ = http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(time.Hour):
		}
	}
}

type hostileAnswer struct {
	name string
	// answer is the handler for an operation whose success status is status.
	answer func(status int) http.HandlerFunc
	// bodyOnly: the answer is a 2xx that only an operation decoding its
	// body can refuse.
	bodyOnly bool
}

func nested(depth int) string {
	return strings.Repeat(`{"a":[`, depth) + strings.Repeat(`]}`, depth)
}

var hostileAnswers = []hostileAnswer{
	{"truncated JSON", func(s int) http.HandlerFunc {
		return reply(s, contentJSON, `{"link_id":"mk_1","accounts":[{"account_id":`)
	}, true},
	{"top-level array", func(s int) http.HandlerFunc { return reply(s, contentJSON, `[]`) }, true},
	{"top-level string", func(s int) http.HandlerFunc { return reply(s, contentJSON, `"ok"`) }, true},
	{"top-level number", func(s int) http.HandlerFunc { return reply(s, contentJSON, `42`) }, true},
	{"top-level true", func(s int) http.HandlerFunc { return reply(s, contentJSON, `true`) }, true},
	{"deeply nested JSON", func(s int) http.HandlerFunc { return reply(s, contentJSON, nested(20000)) }, true},
	{"invalid UTF-8", func(s int) http.HandlerFunc { return reply(s, contentJSON, "\xff\xfe\xfd{}") }, true},
	{"NUL bytes", func(s int) http.HandlerFunc { return reply(s, contentJSON, "\x00\x00\x00\x00") }, true},
	{"HTML page with 2xx", func(s int) http.HandlerFunc {
		return reply(s, "text/html", "<html><body>Down for maintenance</body></html>")
	}, true},
	{"HTML page with 500", func(int) http.HandlerFunc {
		return reply(500, "text/html", "<html><body>Internal Server Error</body></html>")
	}, false},
	{"empty 2xx body", func(s int) http.HandlerFunc {
		if s == http.StatusAccepted || s == http.StatusNoContent {
			s = http.StatusOK // an empty 202 or 204 is an answer the facade accepts
		}
		return reply(s, contentJSON, "")
	}, true},
	{"wrong content type", func(s int) http.HandlerFunc { return reply(s, "image/png", "\x89PNG\r\n\x1a\n") }, true},
	{"two JSON documents", func(s int) http.HandlerFunc { return reply(s, contentJSON, `{} {}`) }, true},
	{"slow-loris 2xx body", func(s int) http.HandlerFunc { return slowBody(s) }, true},
	{"slow-loris 500 body", func(int) http.HandlerFunc { return slowBody(500) }, false},
	{"connection reset mid-body", func(s int) http.HandlerFunc {
		return rawReply(fmt.Sprintf("HTTP/1.1 %d OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"link_id\":\"mk", s))
	}, true},
	{"connection closed before the status line", func(int) http.HandlerFunc { return rawReply("") }, false},
	{"garbage status line", func(int) http.HandlerFunc { return rawReply("HTTP/1.1 OK\r\n\r\n") }, false},
	{"redirect 302", func(int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://attacker.example/steal", http.StatusFound)
		}
	}, false},
	{"redirect 308 to self", func(int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusPermanentRedirect)
		}
	}, false},
	{"304 not modified", func(int) http.HandlerFunc { return reply(304, "", "") }, false},
	{"101 switching protocols", func(int) http.HandlerFunc {
		return rawReply("HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: Upgrade\r\n\r\n")
	}, false},
	{"status 299", func(int) http.HandlerFunc { return reply(299, contentJSON, `[1]`) }, true},
	{"status 600", func(int) http.HandlerFunc { return rawReply("HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\n{}") }, false},
	{"status 999", func(int) http.HandlerFunc { return rawReply("HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\n{}") }, false},
	{"status 1000", func(int) http.HandlerFunc { return rawReply("HTTP/1.1 1000 Odd\r\nContent-Length: 2\r\n\r\n{}") }, false},
	{"429 with garbage Retry-After", func(int) http.HandlerFunc {
		return jsonReply(429, `{}`, "Retry-After", "soon, maybe")
	}, false},
	{"429 with negative Retry-After", func(int) http.HandlerFunc { return jsonReply(429, `{}`, "Retry-After", "-30") }, false},
	{"429 with overflowing Retry-After", func(int) http.HandlerFunc {
		return jsonReply(429, `{}`, "Retry-After", "99999999999999999999999")
	}, false},
	{"503 with far HTTP-date Retry-After", func(int) http.HandlerFunc {
		return jsonReply(503, `{}`, "Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")
	}, false},
	{"duplicate Retry-After", func(int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Retry-After"] = []string{"1", "86400", "x"}
			w.WriteHeader(429)
		}
	}, false},
	{"conflicting Content-Length", func(s int) http.HandlerFunc {
		return rawReply(fmt.Sprintf("HTTP/1.1 %d OK\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\n{}", s))
	}, false},
	{"duplicate Content-Type", func(s int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = []string{"text/html", contentJSON}
			w.WriteHeader(s)
			_, _ = io.WriteString(w, "<html>")
		}
	}, true},
	{"huge header", func(s int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", strings.Repeat("r", maxResponseHeader))
			w.WriteHeader(s)
		}
	}, false},
}

// wrongTypeBodies builds, for each field the operation's success schema
// requires, a body whose value at that position is of the wrong type
// ([[true]] is no string, number, boolean, object or array of objects).
func wrongTypeBodies(pointers []string) []string {
	var out []string
	for _, p := range pointers {
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		body := `[[true]]`
		for i := len(segs) - 1; i >= 0; i-- {
			if segs[i] == "*" {
				body = `{"k":` + body + `}`
				continue
			}
			body = fmt.Sprintf(`{%q:%s}`, segs[i], body)
		}
		out = append(out, body)
	}
	return out
}

// assertTypedFailure requires err to be one of banklink's typed errors with
// nothing secret in it.
func assertTypedFailure(t *testing.T, err error, logs string) {
	t.Helper()
	require.Error(t, err, "a hostile answer is never a success")
	var (
		apiErr *facade.Error
		te     *facade.TransportError
		rl     *facade.RateLimitError
		ve     *facade.ValidationError
	)
	typed := errors.As(err, &apiErr) || errors.As(err, &te) || errors.As(err, &rl) || errors.As(err, &ve)
	require.True(t, typed, "untyped %T: %v", err, err)
	for _, s := range []string{testClientSecret, "tok-", "Bearer ", "Basic "} {
		assert.NotContains(t, err.Error(), s)
		assert.NotContains(t, logs, s)
	}
	assert.Less(t, len(err.Error()), 1000, "the message does not embed the body or headers")
}

func TestHostileServerEveryOperation(t *testing.T) {
	require.Len(t, opCalls, len(tableOps(t)), "one call per generated operation")
	for _, op := range tableOps(t) {
		oc, ok := opCalls[op.id]
		require.True(t, ok, "no call for %s", op.id)
		status := op.meta.SuccessStatus
		answers := hostileAnswers
		if !bodylessOps[op.id] {
			for i, b := range wrongTypeBodies(op.meta.ResponseRequired) {
				answers = append(answers, hostileAnswer{fmt.Sprintf("wrong type at %s", op.meta.ResponseRequired[i]),
					func(s int) http.HandlerFunc { return reply(s, contentJSON, b) }, true})
			}
		}
		t.Run(op.id, func(t *testing.T) {
			for _, a := range answers {
				if a.bodyOnly && bodylessOps[op.id] {
					continue
				}
				t.Run(a.name, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						f := newMemFakeAPI(t)
						f.handle(oc.route, a.answer(status))
						var logs syncBuffer
						opts := []facade.Option{facade.WithMaxRetries(1), facade.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))}
						began := time.Now()
						err := oc.call(context.Background(), f.moneyKit(opts...), f.linkMoney(opts...))
						assertTypedFailure(t, err, logs.String())
						assert.LessOrEqual(t, time.Since(began), 2*facade.DefaultAttemptTimeout+time.Minute, "the call ends within its attempts' timeouts")
						// Two attempts; net/http itself resends a request once
						// when a reused connection closes before any answer.
						assert.LessOrEqual(t, f.hitCount(oc.route), 4, "at most one retry")
					})
				})
			}
		})
	}
}

// endless is a body of JSON whitespace that never ends.
type endless struct{ n int64 }

var spaces = bytes.Repeat([]byte{' '}, 64<<10)

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], spaces)
	}
	e.n += int64(n)
	return n, nil
}

func (e *endless) Close() error { return nil }

// TestHostileHugeSuccessBody answers with a 2xx body that never ends: the
// read stops at the 64 MiB cap with an *Error holding 1 MiB of it. Every
// operation reads its 2xx body through the same capped decode, and a body
// of 64 MiB costs seconds under the race detector, so this runs one
// operation of each provider (TestHostileServerEveryOperation puts every
// operation's decode against the other shapes).
func TestHostileHugeSuccessBody(t *testing.T) {
	done := map[facade.Provider]bool{}
	for _, op := range tableOps(t) {
		if bodylessOps[op.id] || op.tokenEndpoint || done[op.provider] {
			continue
		}
		done[op.provider] = true
		t.Run(op.id, func(t *testing.T) {
			oc := opCalls[op.id]
			_, path, _ := strings.Cut(oc.route, " ")
			body := &endless{}
			rt := &scripted{answer: func(r *http.Request) *http.Response {
				resp := respond(op.meta.SuccessStatus, http.Header{"Content-Type": {contentJSON}}, nil)
				resp.Body, resp.ContentLength = body, -1
				return resp
			}}
			opts := []facade.Option{facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL("https://api.example"),
				facade.WithHTTPClient(scriptedClient(rt)), facade.WithMaxRetries(0), facade.WithWait(instantWait)}
			mk, err := moneykit.New(opts...)
			require.NoError(t, err)
			lm, err := linkmoney.New(opts...)
			require.NoError(t, err)
			err = oc.call(context.Background(), mk, lm)
			var apiErr *facade.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, "response body larger than 64 MiB", apiErr.Message)
			assert.Len(t, apiErr.Body, transport.MaxErrorBody)
			assert.LessOrEqual(t, body.n, int64(transport.MaxSuccessBody+transport.MaxDrain+64<<10), "reading stops at the cap")
			assert.Equal(t, 1, rt.hitCount(path))
		})
	}
}
