package sandbox

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// MoneyKitWebhookIssuer is the iss claim of the sandbox's MoneyKit webhook
// signatures: the value MoneyKit's own tokens carry, so that a verifier with
// default settings accepts sandbox deliveries.
const MoneyKitWebhookIssuer = "https://api.moneykit.com"

// Webhook delivery defaults (see WebhookOptions).
const (
	DefaultWebhookMaxAttempts = 6
	DefaultWebhookBackoff     = time.Second
	DefaultWebhookMaxBackoff  = time.Minute
	DefaultWebhookTimeout     = 10 * time.Second
	// publishedKeys is how many signing keys the JWKS keeps after rotations.
	publishedKeys = 3
	// staleBy is how old a stale-timestamp fault makes a signature.
	staleBy = 10 * time.Minute
	// deliveryLogLimit bounds the delivery log: past it, finished
	// deliveries are dropped and pending ones kept.
	deliveryLogLimit = 10000
)

// WebhookOptions tune how the sandbox delivers webhooks. The zero value uses
// the defaults.
type WebhookOptions struct {
	// MaxAttempts bounds the attempts per delivery, the first included
	// (default 6). A delivery that never got a 2xx is then marked failed.
	MaxAttempts int
	// Backoff is the wait before the first retry, doubled for each further
	// one up to MaxBackoff (defaults 1s and 1m). Waits run on the sandbox
	// clock: with a FakeClock, retries happen when Sandbox.Advance passes them.
	Backoff, MaxBackoff time.Duration
	// Timeout bounds each attempt in real time (default 10s); a timeout is
	// retried like a non-2xx answer.
	Timeout time.Duration
	// AllowAnyHost lets the sandbox deliver to URLs that are not loopback.
	// By default such deliveries are logged as refused and never sent.
	AllowAnyHost bool
	// LinkMoneyNested puts Link Money's event fields under "metadata"
	// instead of at the top level (both shapes are seen from Link Money).
	LinkMoneyNested bool
}

// WebhookFaults make deliveries misbehave, so that a receiver can prove it
// copes. They apply to events raised while they are set.
type WebhookFaults struct {
	// Duplicate delivers every event twice, with the same idempotency key
	// (MoneyKit) or unique id (Link Money).
	Duplicate bool
	// OutOfOrder holds each event back until the next one is raised, then
	// delivers the two in reverse order.
	OutOfOrder bool
	// BadSignature signs with the wrong key (MoneyKit) or secret (Link Money).
	BadSignature bool
	// StaleTimestamp dates the signature 10 minutes in the past.
	StaleTimestamp bool
}

// WebhookAttempt is one attempt of a delivery.
type WebhookAttempt struct {
	At     time.Time // sandbox clock
	Status int       // the receiver's status; 0 when there was no answer
	Error  string    // why there was no answer (timeout, refused connection)
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryHeld      = "held"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"  // MaxAttempts used up without a 2xx
	DeliveryRefused   = "refused" // the URL is not loopback (see WebhookOptions.AllowAnyHost)
)

// WebhookDelivery is one entry of the delivery log.
type WebhookDelivery struct {
	Provider       string // "moneykit" or "linkmoney"
	Event          string // webhook_event or eventType
	URL            string
	IdempotencyKey string // webhook_idempotency_key (MoneyKit) or the unique id (Link Money)
	DeliveryToken  string // MoneyKit-Delivery-Token; Link Money deliveries have none
	Faults         []string
	State          string
	Attempts       []WebhookAttempt
	Body           []byte // the payload as sent
}

type signingKey struct {
	priv        *ecdsa.PrivateKey
	kid, x, y   string
	publishedAt time.Time
}

type lmSubscription struct {
	key, url, secret string
}

type delivery struct {
	WebhookDelivery
	secret string // Link Money: the subscription's secret
	order  int
	nextAt time.Time
}

// webhooks is the sandbox's delivery machinery. Its mutex is never held while
// taking Sandbox.mu, so events can be raised with Sandbox.mu held.
type webhooks struct {
	s *Sandbox

	mu      sync.Mutex
	opts    WebhookOptions
	faults  WebhookFaults
	keys    []*signingKey // newest last
	subs    map[string]*lmSubscription
	log     []*delivery
	active  []*delivery // the log's pending, held and sending deliveries
	held    []*delivery // an out-of-order event (and its duplicate) held back
	order   int
	paused  bool
	running bool
	idle    chan struct{} // closed when the worker stops
	client  *http.Client
}

func newWebhooks(s *Sandbox, first *ecdsa.PrivateKey) *webhooks {
	w := &webhooks{s: s, subs: map[string]*lmSubscription{}, idle: make(chan struct{})}
	close(w.idle)
	kid, x, y := jwkParts(&first.PublicKey)
	w.keys = []*signingKey{{priv: first, kid: kid, x: x, y: y}}
	w.setOptionsLocked(WebhookOptions{})
	return w
}

func (w *webhooks) setOptionsLocked(o WebhookOptions) {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultWebhookMaxAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultWebhookBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultWebhookMaxBackoff
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultWebhookTimeout
	}
	w.opts = o
	// No keep-alives: a delivery leaves no idle connection (nor its
	// goroutines) behind, and no redirect is followed.
	w.client = &http.Client{
		Timeout:       o.Timeout,
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// SetWebhookOptions replaces the delivery options (see WebhookOptions).
func (s *Sandbox) SetWebhookOptions(o WebhookOptions) {
	s.wh.mu.Lock()
	defer s.wh.mu.Unlock()
	s.wh.setOptionsLocked(o)
}

// SetWebhookFaults replaces the delivery faults. Clearing OutOfOrder releases
// an event it was holding back.
func (s *Sandbox) SetWebhookFaults(f WebhookFaults) {
	w := s.wh
	w.mu.Lock()
	w.faults = f
	if !f.OutOfOrder {
		for _, d := range w.held {
			d.State = DeliveryPending
		}
		w.held = nil
	}
	w.mu.Unlock()
	w.kick()
}

// PauseWebhooks stops (true) or resumes (false) delivery; events raised while
// paused queue up and go out, in order, on resume.
func (s *Sandbox) PauseWebhooks(paused bool) {
	s.wh.mu.Lock()
	s.wh.paused = paused
	s.wh.mu.Unlock()
	s.wh.kick()
}

// WebhookDeliveries returns a copy of the delivery log, oldest first. Once
// the log holds more than 10000 deliveries, the finished ones are dropped.
func (s *Sandbox) WebhookDeliveries() []WebhookDelivery {
	w := s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]WebhookDelivery, len(w.log))
	for i, d := range w.log {
		c := d.WebhookDelivery
		c.Faults = slices.Clone(d.Faults)
		c.Attempts = slices.Clone(d.Attempts)
		c.Body = slices.Clone(d.Body)
		out[i] = c
	}
	return out
}

// WaitWebhooks blocks until no delivery is due: every delivery has been
// answered, given up, or waits for a retry time still ahead on the sandbox
// clock. It returns ctx's error if ctx ends first.
func (s *Sandbox) WaitWebhooks(ctx context.Context) error {
	w := s.wh
	for {
		w.kick()
		w.mu.Lock()
		idle := w.idle
		busy := w.running || (!w.paused && w.dueLocked(s.Now()) != nil)
		w.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// RotateWebhookKey makes a new MoneyKit signing key current and returns its
// kid. The JWKS keeps publishing the previous keys (up to three in all), as
// MoneyKit does while a rotation settles.
func (s *Sandbox) RotateWebhookKey() string {
	key, err := s.ids.signingKey()
	if err != nil {
		panic(fmt.Sprintf("sandbox: generating a webhook signing key: %v", err))
	}
	kid, x, y := jwkParts(&key.PublicKey)
	w := s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	w.keys = append(w.keys, &signingKey{priv: key, kid: kid, x: x, y: y, publishedAt: s.Now()})
	if len(w.keys) > publishedKeys {
		w.keys = w.keys[len(w.keys)-publishedKeys:]
	}
	return kid
}

// jwks returns the published MoneyKit signing keys, newest first.
func (s *Sandbox) jwks() []moneykit.JWK {
	w := s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]moneykit.JWK, 0, len(w.keys))
	for i := len(w.keys) - 1; i >= 0; i-- {
		k := w.keys[i]
		out = append(out, moneykit.JWK{Kty: "EC", Crv: "P-256", X: k.x, Y: k.y, Kid: k.kid, Use: "sig", Alg: "ES256"})
	}
	return out
}

// ---------------------------------------------------------------- raising events

// mkEventLocked queues a MoneyKit webhook for link l, when it has a webhook
// URL, and returns the delivery token ("" when nothing is sent). fields are
// the event's own fields; the envelope is added here. idemKey "" gets a new
// one. The caller may hold s.mu.
func (s *Sandbox) mkEventLocked(l *link, event string, fields map[string]any, idemKey string) string {
	if l.webhook == nil || *l.webhook == "" {
		return ""
	}
	if idemKey == "" {
		idemKey = s.ids.uuid()
	}
	body := map[string]any{
		"webhook_event":           event,
		"webhook_major_version":   1,
		"webhook_minor_version":   0,
		"webhook_idempotency_key": idemKey,
		"webhook_timestamp":       s.Now().UTC().Format(time.RFC3339Nano),
		"link_id":                 l.id,
		"link_tags":               []string{},
	}
	if l.tags != nil {
		body["link_tags"] = slices.Clone(*l.tags)
	}
	for k, v := range fields {
		body[k] = v
	}
	raw, _ := json.Marshal(body)
	token := "sandbox_delivery_" + s.ids.base62(24)
	s.wh.enqueue(&delivery{WebhookDelivery: WebhookDelivery{
		Provider: "moneykit", Event: event, URL: *l.webhook, IdempotencyKey: idemKey, DeliveryToken: token, Body: raw,
	}})
	return token
}

// mkLinkStateChangedLocked raises link.state_changed for l's current state.
func (s *Sandbox) mkLinkStateChangedLocked(l *link) {
	fields := map[string]any{"state": l.state}
	if l.errorCode != "" {
		fields["error"] = l.errorCode
		fields["error_message"] = "The link is in an error state: " + l.errorCode + "."
	}
	s.mkEventLocked(l, "link.state_changed", fields, "")
}

// mkProductRefreshLocked raises link.product_refresh for link l: the
// hook for the sandbox's product refreshes. state is the product's refresh
// state ("refreshed" on success); errMsg, if set, says why it failed. The
// caller may hold s.mu.
func (s *Sandbox) mkProductRefreshLocked(l *link, product, state, errMsg string) {
	fields := map[string]any{
		"product":          product,
		"state":            state,
		"state_changed_at": s.Now().UTC().Format(time.RFC3339Nano),
	}
	if errMsg != "" {
		fields["error_message"] = errMsg
	}
	s.mkEventLocked(l, "link.product_refresh", fields, "")
}

// mkTransactionsUpdatesLocked raises transactions.updates_available for
// link l: the hook for the sandbox's transaction refreshes.
func (s *Sandbox) mkTransactionsUpdatesLocked(l *link, hasHistory bool) {
	s.mkEventLocked(l, "transactions.updates_available", map[string]any{"has_history": hasHistory}, "")
}

// lmEvent queues a Link Money webhook to every subscription. resourceType is
// "Customer" or "Payment"; paymentType "Debit" or "Credit" (payments only).
// The caller may hold s.mu.
func (s *Sandbox) lmEvent(event, resourceType, resourceID, paymentType, clientRef string) {
	w := s.wh
	w.mu.Lock()
	subs := make([]*lmSubscription, 0, len(w.subs))
	for _, sub := range w.subs {
		subs = append(subs, sub)
	}
	nested := w.opts.LinkMoneyNested
	w.mu.Unlock()
	slices.SortFunc(subs, func(a, b *lmSubscription) int { return cmpString(a.key, b.key) })
	fields := map[string]any{"resourceId": resourceID, "resourceType": resourceType}
	if paymentType != "" {
		fields["paymentType"] = paymentType
	}
	if clientRef != "" {
		fields["clientReferenceId"] = clientRef
	}
	for _, sub := range subs {
		id := s.ids.uuid()
		body := map[string]any{"id": id, "creationTime": lmTime(s.Now()), "eventType": event}
		if nested {
			body["metadata"] = fields
		} else {
			for k, v := range fields {
				body[k] = v
			}
		}
		raw, _ := json.Marshal(body)
		w.enqueue(&delivery{
			WebhookDelivery: WebhookDelivery{Provider: "linkmoney", Event: event, URL: sub.url, IdempotencyKey: id, Body: raw},
			secret:          sub.secret,
		})
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// lmPaymentEvents raises payment.created and the event of the payment's
// status, as the sandbox's payment rules set it.
func (s *Sandbox) lmPaymentEvents(p *lmPayment, ref string) {
	ptype := "Credit"
	if p.debit {
		ptype = "Debit"
	}
	s.lmEvent("payment.created", "Payment", p.id, ptype, ref)
	switch p.status {
	case statusAuthorized:
		s.lmEvent("payment.authorized", "Payment", p.id, ptype, ref)
	case statusPending:
		s.lmEvent("payment.pending", "Payment", p.id, ptype, ref)
	case statusTerminalFailed:
		s.lmEvent("payment.failed", "Payment", p.id, ptype, ref)
	}
}

func (w *webhooks) enqueue(d *delivery) {
	w.mu.Lock()
	f := w.faults
	d.State = DeliveryPending
	d.nextAt = w.s.Now()
	if !w.opts.AllowAnyHost && !loopbackURL(d.URL) {
		d.State = DeliveryRefused
	}
	if f.BadSignature {
		d.Faults = append(d.Faults, "bad_signature")
	}
	if f.StaleTimestamp {
		d.Faults = append(d.Faults, "stale_timestamp")
	}
	list := []*delivery{d}
	if f.Duplicate {
		dup := *d
		dup.Faults = append(slices.Clone(d.Faults), "duplicate")
		if dup.DeliveryToken != "" {
			dup.DeliveryToken = "sandbox_delivery_" + w.s.ids.base62(24)
		}
		list = append(list, &dup)
	}
	for _, x := range list {
		w.order++
		x.order = w.order
		w.log = append(w.log, x)
		if x.State != DeliveryRefused {
			w.active = append(w.active, x)
		}
	}
	if len(w.log) > deliveryLogLimit {
		w.log = slices.DeleteFunc(w.log, func(d *delivery) bool {
			return d.State == DeliveryDelivered || d.State == DeliveryFailed || d.State == DeliveryRefused
		})
	}
	if f.OutOfOrder && d.State == DeliveryPending {
		if prev := w.held; prev != nil {
			// Release the held event behind this one.
			for _, x := range prev {
				w.order++
				x.order, x.State = w.order, DeliveryPending
			}
			w.held = nil
		} else {
			for _, x := range list {
				x.State = DeliveryHeld
				x.Faults = append(x.Faults, "out_of_order")
			}
			w.held = list
		}
	}
	w.mu.Unlock()
	w.kick()
}

// loopbackURL reports whether u is an http(s) URL on a loopback host.
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") {
		return false
	}
	host := p.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ---------------------------------------------------------------- delivering

// dueLocked returns the deliveries due at now, in delivery order.
func (w *webhooks) dueLocked(now time.Time) []*delivery {
	var due []*delivery
	for _, d := range w.active {
		if d.State == DeliveryPending && !d.nextAt.After(now) {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b *delivery) int { return a.order - b.order })
	return due
}

// kick starts the delivery worker if anything is due. The worker exits when
// nothing is; it never outlives the work.
func (w *webhooks) kick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running || w.paused || w.dueLocked(w.s.Now()) == nil {
		return
	}
	w.running = true
	w.idle = make(chan struct{})
	go w.run()
}

func (w *webhooks) run() {
	for {
		w.mu.Lock()
		var d *delivery
		if !w.paused {
			if due := w.dueLocked(w.s.Now()); len(due) > 0 {
				d = due[0]
				d.State = "sending"
			}
		}
		if d == nil {
			w.running = false
			close(w.idle)
			w.mu.Unlock()
			return
		}
		opts, client := w.opts, w.client
		w.mu.Unlock()
		w.attempt(d, opts, client)
	}
}

func (w *webhooks) attempt(d *delivery, opts WebhookOptions, client *http.Client) {
	now := w.s.Now()
	hdr, err := w.sign(d, now)
	att := WebhookAttempt{At: now}
	if err == nil {
		att.Status, att.Error = w.post(client, d, hdr)
	} else {
		att.Error = err.Error()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	d.Attempts = append(d.Attempts, att)
	switch {
	case att.Status >= 200 && att.Status < 300:
		d.State = DeliveryDelivered
		w.active = slices.DeleteFunc(w.active, func(x *delivery) bool { return x == d })
	case len(d.Attempts) >= opts.MaxAttempts:
		d.State = DeliveryFailed
		w.active = slices.DeleteFunc(w.active, func(x *delivery) bool { return x == d })
	default:
		wait := opts.Backoff << (len(d.Attempts) - 1)
		if wait > opts.MaxBackoff || wait <= 0 {
			wait = opts.MaxBackoff
		}
		d.State, d.nextAt = DeliveryPending, now.Add(wait)
		if _, fake := w.s.cfg.Clock.(*FakeClock); !fake {
			time.AfterFunc(wait, w.kick)
		}
	}
	w.s.logf("webhook %s %s attempt %d: status %d", d.Provider, d.Event, len(d.Attempts), att.Status)
}

func (w *webhooks) post(client *http.Client, d *delivery, hdr http.Header) (int, string) {
	req, err := http.NewRequest(http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, "bad webhook URL"
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "banklink-sandbox-webhooks")
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, "timeout"
		}
		return 0, "no answer"
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, ""
}

// sign returns the signature headers of one attempt, made at now.
func (w *webhooks) sign(d *delivery, now time.Time) (http.Header, error) {
	badSig, stale := slices.Contains(d.Faults, "bad_signature"), slices.Contains(d.Faults, "stale_timestamp")
	at := now
	if stale {
		at = now.Add(-staleBy)
	}
	h := http.Header{}
	switch d.Provider {
	case "moneykit":
		w.mu.Lock()
		key := w.keys[len(w.keys)-1]
		w.mu.Unlock()
		priv := key.priv
		if badSig {
			other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				return nil, err
			}
			priv = other
		}
		sum := sha256.Sum256(d.Body)
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss":                 MoneyKitWebhookIssuer,
			"iat":                 at.Unix(),
			"request_body_sha256": hex.EncodeToString(sum[:]),
		})
		tok.Header["kid"] = key.kid
		signed, err := tok.SignedString(priv)
		if err != nil {
			return nil, err
		}
		h.Set("MoneyKit-Signature", signed)
		h.Set("MoneyKit-Delivery-Token", d.DeliveryToken)
		h.Set("MoneyKit-Delivery-Attempt", strconv.Itoa(len(d.Attempts)+1))
	case "linkmoney":
		secret := d.secret
		if badSig {
			secret = "not-the-subscription-secret"
		}
		ts := strconv.FormatInt(at.Unix(), 10)
		mac := hmac.New(sha512.New, []byte(secret))
		mac.Write([]byte(d.IdempotencyKey + "." + ts + "."))
		mac.Write(d.Body)
		h.Set("X-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		h.Set("X-Signature-Timestamp", ts)
		h.Set("X-Signature-Uniqueid", d.IdempotencyKey)
	}
	return h, nil
}

// ---------------------------------------------------------------- operations

// WebhookTestLink sends a test webhook to a sandbox link's webhook URL.
func (m *mkServer) WebhookTestLink(ctx context.Context, req moneykit.WebhookTestLinkRequestObject) (moneykit.WebhookTestLinkResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, miss := s.lookupLink(rs, req.Id)
	switch {
	case miss == http.StatusNotFound:
		return moneykit.WebhookTestLink404JSONResponse{MoneyKitLinkNotFoundJSONResponse: moneykit.MoneyKitLinkNotFoundJSONResponse{ErrorCode: "link_error.not_found", ErrorMessage: msgLinkNotFound}}, nil
	case miss == http.StatusUnauthorized:
		return moneykit.WebhookTestLink401JSONResponse{MoneyKitLinkUnauthorizedJSONResponse: linkUnauthorized()}, nil
	case l.state == "deleted":
		return moneykit.WebhookTestLink410JSONResponse{MoneyKitLinkDeletedJSONResponse: moneykit.MoneyKitLinkDeletedJSONResponse{ErrorCode: "link_error.deleted", ErrorMessage: msgLinkDeleted}}, nil
	case l.webhook == nil || *l.webhook == "":
		return moneykit.WebhookTestLink400JSONResponse{ErrorCode: "link_error.bad_config", ErrorMessage: "This link has no webhook URL."}, nil
	}
	b := req.Body
	var fields map[string]any
	switch string(b.WebhookEvent) {
	case "link.state_changed":
		fields = map[string]any{"state": l.state}
		if l.errorCode != "" {
			fields["error"] = l.errorCode
		}
	case "link.product_refresh", "product.state_changed":
		product := "accounts"
		if len(l.products) > 0 {
			product = l.products[len(l.products)-1]
		}
		fields = map[string]any{"product": product, "state": "refreshed", "state_changed_at": s.Now().UTC().Format(time.RFC3339Nano)}
	case "transactions.updates_available":
		fields = map[string]any{"has_history": true}
	}
	token := s.mkEventLocked(l, string(b.WebhookEvent), fields, b.WebhookIdempotencyKey)
	return moneykit.WebhookTestLink200JSONResponse{DeliveryToken: token}, nil
}

// SubscribeWebhook registers a Link Money webhook subscription.
func (h *lmServer) SubscribeWebhook(ctx context.Context, req linkmoney.SubscribeWebhookRequestObject) (linkmoney.SubscribeWebhookResponseObject, error) {
	w := h.s.wh
	sub := &lmSubscription{key: "sub_" + h.s.ids.base62(20), url: req.Body.Url, secret: req.Body.SecretKey}
	w.mu.Lock()
	w.subs[sub.key] = sub
	w.mu.Unlock()
	return linkmoney.SubscribeWebhook200JSONResponse{SubscriptionKey: sub.key}, nil
}

// UnsubscribeWebhook cancels a subscription; an unknown one answers 404.
func (h *lmServer) UnsubscribeWebhook(ctx context.Context, req linkmoney.UnsubscribeWebhookRequestObject) (linkmoney.UnsubscribeWebhookResponseObject, error) {
	w := h.s.wh
	w.mu.Lock()
	_, ok := w.subs[req.Body.SubscriptionId]
	delete(w.subs, req.Body.SubscriptionId)
	w.mu.Unlock()
	if !ok {
		return linkmoney.UnsubscribeWebhook404JSONResponse{LinkMoneyNotFoundJSONResponse: linkmoney.LinkMoneyNotFoundJSONResponse(lmGenErr("NOT_FOUND", "Subscription not found."))}, nil
	}
	return linkmoney.UnsubscribeWebhook200Response{}, nil
}

// registerWebhookControl adds the webhook control endpoints.
func (s *Sandbox) registerWebhookControl(handle func(pattern, name string, h func(http.ResponseWriter, *http.Request) (int, any))) {
	handle("POST /_sandbox/moneykit/webhooks/rotate-key", "rotateWebhookKey", func(w http.ResponseWriter, r *http.Request) (int, any) {
		return http.StatusOK, map[string]string{"kid": s.RotateWebhookKey()}
	})
	handle("POST /_sandbox/webhooks/faults", "setWebhookFaults", func(w http.ResponseWriter, r *http.Request) (int, any) {
		var in struct {
			Duplicate      bool `json:"duplicate"`
			OutOfOrder     bool `json:"out_of_order"`
			BadSignature   bool `json:"bad_signature"`
			StaleTimestamp bool `json:"stale_timestamp"`
		}
		if err := decodeControl(r, &in); err != nil {
			return controlError(err)
		}
		s.SetWebhookFaults(WebhookFaults{Duplicate: in.Duplicate, OutOfOrder: in.OutOfOrder, BadSignature: in.BadSignature, StaleTimestamp: in.StaleTimestamp})
		return http.StatusNoContent, nil
	})
	handle("GET /_sandbox/webhooks", "webhookDeliveries", func(w http.ResponseWriter, r *http.Request) (int, any) {
		type attempt struct {
			At     time.Time `json:"at"`
			Status int       `json:"status"`
			Error  string    `json:"error,omitempty"`
		}
		type entry struct {
			Provider       string    `json:"provider"`
			Event          string    `json:"event"`
			URL            string    `json:"url"`
			IdempotencyKey string    `json:"idempotencyKey"`
			DeliveryToken  string    `json:"deliveryToken,omitempty"`
			Faults         []string  `json:"faults,omitempty"`
			State          string    `json:"state"`
			Attempts       []attempt `json:"attempts"`
		}
		ds := s.WebhookDeliveries()
		out := make([]entry, len(ds))
		for i, d := range ds {
			e := entry{d.Provider, d.Event, d.URL, d.IdempotencyKey, d.DeliveryToken, d.Faults, d.State, make([]attempt, len(d.Attempts))}
			for j, a := range d.Attempts {
				e.Attempts[j] = attempt(a)
			}
			out[i] = e
		}
		return http.StatusOK, out
	})
}
