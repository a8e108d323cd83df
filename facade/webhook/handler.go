package webhook

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Handler defaults.
const (
	DefaultMaxBodyBytes = 1 << 20
	// DefaultDedupeTTL covers MoneyKit's retries ("for up to two hours")
	// with a wide margin; Link Money's retry window is not documented.
	DefaultDedupeTTL = 24 * time.Hour
)

// HandlerOption configures MoneyKitHandler and LinkMoneyHandler.
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	store   Store
	ttl     time.Duration
	logger  *slog.Logger
	maxBody int64
	trace   *Trace
}

// WithStore sets the dedupe store (default: a MemoryStore, private to the
// handler). Share one store across handlers and processes that receive the
// same deliveries.
func WithStore(s Store) HandlerOption { return func(c *handlerConfig) { c.store = s } }

// WithDedupeTTL sets how long a handled delivery is remembered (default 24h).
func WithDedupeTTL(d time.Duration) HandlerOption { return func(c *handlerConfig) { c.ttl = d } }

// WithLogger makes the handler log each rejected, duplicate or failed
// delivery with its reason. Signatures, tokens and bodies are never logged.
func WithLogger(l *slog.Logger) HandlerOption { return func(c *handlerConfig) { c.logger = l } }

// WithMaxBodyBytes caps the body read (default 1 MiB); a larger body answers
// 413 and is not verified.
func WithMaxBodyBytes(n int64) HandlerOption { return func(c *handlerConfig) { c.maxBody = n } }

// MoneyKitHandler returns an http.Handler for MoneyKit deliveries. It reads
// at most the body cap, verifies the signature with v, deduplicates on
// webhook_idempotency_key, and calls fn once per event. It answers 200 only
// when fn returned nil, so MoneyKit retries otherwise (the key is then
// released, and the retry is handled); 400 with no detail when verification
// fails; 413 for an oversized body; 405 for a method other than POST; 500
// when fn or the store failed. A duplicate answers 200 without calling fn.
func MoneyKitHandler(v *MoneyKitVerifier, fn func(context.Context, *MoneyKitEvent) error, opts ...HandlerOption) http.Handler {
	h := newHandler("moneykit", opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, func(body []byte) (delivery, error) {
			ev, err := v.Verify(r.Header, body)
			if err != nil {
				return delivery{}, err
			}
			return delivery{key: ev.IdempotencyKey, typ: ev.Type, token: ev.DeliveryToken, attempt: ev.DeliveryAttempt,
				call: func(ctx context.Context) error { return fn(ctx, ev) }}, nil
		})
	})
}

// LinkMoneyHandler returns an http.Handler for Link Money deliveries, with
// the contract of MoneyKitHandler. It deduplicates on the verifier's delivery
// id (x-signature-uniqueid by default) or, without one, the payload's id.
func LinkMoneyHandler(v LinkMoneyVerifier, fn func(context.Context, *LinkMoneyEvent) error, opts ...HandlerOption) http.Handler {
	h := newHandler("linkmoney", opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, func(body []byte) (delivery, error) {
			id, err := v.VerifyLinkMoney(r.Header, body)
			if err != nil {
				return delivery{}, err
			}
			ev, err := ParseLinkMoneyEvent(body)
			if err != nil {
				return delivery{}, err
			}
			if id == "" {
				id = ev.ID
			}
			if id == "" {
				return delivery{}, ErrMalformedPayload
			}
			ev.DeliveryID = id
			return delivery{key: id, typ: ev.Type, call: func(ctx context.Context) error { return fn(ctx, ev) }}, nil
		})
	})
}

type handler struct {
	provider string
	handlerConfig
}

type delivery struct {
	key, typ, token, attempt string
	call                     func(context.Context) error
}

func newHandler(provider string, opts []HandlerOption) *handler {
	h := &handler{provider: provider}
	for _, o := range opts {
		if o != nil {
			o(&h.handlerConfig)
		}
	}
	if h.store == nil {
		h.store = NewMemoryStore(nil)
	}
	if h.ttl <= 0 {
		h.ttl = DefaultDedupeTTL
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	return h
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, verify func([]byte) (delivery, error)) {
	if h.trace == nil {
		h.handle(w, r, verify, nil)
		return
	}
	td := TraceDelivery{Provider: h.provider, Method: r.Method, Route: route(r.Pattern)}
	if h.trace.DeliveryStart != nil {
		r = r.WithContext(h.trace.DeliveryStart(r.Context(), td))
	}
	var res TraceDeliveryResult
	h.handle(w, r, verify, &res)
	if h.trace.DeliveryDone != nil {
		h.trace.DeliveryDone(r.Context(), td, res)
	}
}

// handle serves one delivery; res, when not nil, receives what became of it.
func (h *handler) handle(w http.ResponseWriter, r *http.Request, verify func([]byte) (delivery, error), res *TraceDeliveryResult) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.answer(w, http.StatusMethodNotAllowed, res, OutcomeRejected, ReasonMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.log(ctx, slog.LevelWarn, "webhook rejected", delivery{}, ErrBodyTooLarge.Error())
			h.answer(w, http.StatusRequestEntityTooLarge, res, OutcomeRejected, rejectReason(ErrBodyTooLarge))
			return
		}
		h.log(ctx, slog.LevelWarn, "webhook rejected", delivery{}, "reading the body failed")
		h.answer(w, http.StatusBadRequest, res, OutcomeRejected, ReasonUnreadableBody)
		return
	}
	d, err := verify(body)
	if err != nil {
		reason := "verification failed"
		if errors.Is(err, ErrVerification) {
			reason = err.Error()
		}
		h.log(ctx, slog.LevelWarn, "webhook rejected", delivery{}, reason)
		h.answer(w, http.StatusBadRequest, res, OutcomeRejected, rejectReason(err))
		return
	}
	if res != nil {
		res.EventType, res.DeliveryID = d.typ, d.key
	}
	key := h.provider + ":" + d.key
	first, err := h.store.Claim(ctx, key, h.ttl)
	if err != nil {
		h.log(ctx, slog.LevelError, "webhook dedupe store failed", d, "store error")
		h.answer(w, http.StatusInternalServerError, res, OutcomeFailed, ReasonStoreError)
		return
	}
	if !first {
		h.log(ctx, slog.LevelInfo, "webhook duplicate ignored", d, "already handled")
		h.answer(w, http.StatusOK, res, OutcomeDuplicate, "")
		return
	}
	if err := h.call(ctx, key, d); err != nil {
		h.log(ctx, slog.LevelError, "webhook handler failed", d, "handler returned an error")
		h.answer(w, http.StatusInternalServerError, res, OutcomeFailed, ReasonHandlerError)
		return
	}
	h.answer(w, http.StatusOK, res, OutcomeHandled, "")
}

// call runs the user's function; on an error or a panic the key is released,
// so that the provider's retry is handled.
func (h *handler) call(ctx context.Context, key string, d delivery) (err error) {
	done := false
	defer func() {
		if !done || err != nil {
			// A background context: the request's may be over, and the
			// release must still happen.
			_ = h.store.Release(context.WithoutCancel(ctx), key)
		}
	}()
	err = d.call(ctx)
	done = true
	return err
}

func (h *handler) answer(w http.ResponseWriter, status int, res *TraceDeliveryResult, outcome, reason string) {
	if res != nil {
		res.StatusCode, res.Outcome, res.Reason = status, outcome, reason
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, http.StatusText(status)+"\n")
}

func (h *handler) log(ctx context.Context, level slog.Level, msg string, d delivery, reason string) {
	if h.logger == nil {
		return
	}
	attrs := []slog.Attr{slog.String("provider", h.provider), slog.String("reason", reason)}
	if d.typ != "" {
		attrs = append(attrs, slog.String("event", d.typ))
	}
	if d.key != "" {
		attrs = append(attrs, slog.String("idempotency_key", d.key))
	}
	if d.token != "" {
		attrs = append(attrs, slog.String("delivery_token", d.token))
	}
	if d.attempt != "" {
		attrs = append(attrs, slog.String("delivery_attempt", d.attempt))
	}
	h.logger.LogAttrs(ctx, level, msg, attrs...)
}
