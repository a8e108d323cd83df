package webhook

import "encoding/json"

// MoneyKit event types.
const (
	LinkStateChanged             = "link.state_changed"
	LinkProductRefresh           = "link.product_refresh"
	TransactionsUpdatesAvailable = "transactions.updates_available"
)

// MoneyKitEvent is a verified MoneyKit webhook. The envelope fields are
// always set; exactly one of the typed parts is set for the event types
// banklink knows, and none for others, which still decode (read Raw).
// Deliveries may arrive out of order and more than once: re-fetch the link
// rather than trusting State.
type MoneyKitEvent struct {
	Type           string   `json:"webhook_event"`
	MajorVersion   int      `json:"webhook_major_version"`
	MinorVersion   int      `json:"webhook_minor_version"`
	IdempotencyKey string   `json:"webhook_idempotency_key"`
	Timestamp      string   `json:"webhook_timestamp"` // ISO-8601, kept as received
	LinkID         string   `json:"link_id"`
	LinkTags       []string `json:"link_tags"`

	LinkStateChanged    *LinkStateChangedEvent    `json:"-"`
	ProductRefresh      *ProductRefreshEvent      `json:"-"`
	TransactionsUpdates *TransactionsUpdatesEvent `json:"-"`

	// DeliveryToken and DeliveryAttempt are the MoneyKit-Delivery-Token and
	// MoneyKit-Delivery-Attempt headers, for logs and support requests.
	DeliveryToken   string `json:"-"`
	DeliveryAttempt string `json:"-"`

	// Raw is the verified body as received.
	Raw json.RawMessage `json:"-"`
}

// LinkStateChangedEvent is link.state_changed: the link connected, needs
// reconnecting (state error) or was deleted.
type LinkStateChangedEvent struct {
	State        string  `json:"state"`
	Error        *string `json:"error,omitempty"`
	ErrorMessage *string `json:"error_message,omitempty"`
}

// ProductRefreshEvent is link.product_refresh: a product's data was refreshed
// (or the refresh failed, with ErrorMessage).
type ProductRefreshEvent struct {
	Product        string  `json:"product"`
	State          string  `json:"state"`
	StateChangedAt string  `json:"state_changed_at"` // ISO-8601, kept as received
	ErrorMessage   *string `json:"error_message,omitempty"`
}

// TransactionsUpdatesEvent is transactions.updates_available: new
// transactions can be fetched.
type TransactionsUpdatesEvent struct {
	HasHistory *bool `json:"has_history,omitempty"`
}

// ParseMoneyKitEvent decodes a MoneyKit webhook body. It does not verify
// anything: call it only on a body a MoneyKitVerifier accepted (the handler
// does both).
func ParseMoneyKitEvent(body []byte) (*MoneyKitEvent, error) {
	ev := &MoneyKitEvent{}
	if err := json.Unmarshal(body, ev); err != nil || ev.Type == "" || ev.IdempotencyKey == "" {
		return nil, ErrMalformedPayload
	}
	var part any
	switch ev.Type {
	case LinkStateChanged:
		ev.LinkStateChanged = &LinkStateChangedEvent{}
		part = ev.LinkStateChanged
	case LinkProductRefresh:
		ev.ProductRefresh = &ProductRefreshEvent{}
		part = ev.ProductRefresh
	case TransactionsUpdatesAvailable:
		ev.TransactionsUpdates = &TransactionsUpdatesEvent{}
		part = ev.TransactionsUpdates
	}
	if part != nil {
		if err := json.Unmarshal(body, part); err != nil {
			return nil, ErrMalformedPayload
		}
	}
	ev.Raw = append(json.RawMessage(nil), body...)
	return ev, nil
}

// Link Money event types (customer.* and payment.*). Other values decode too.
const (
	CustomerCreated            = "customer.created"
	CustomerActivated          = "customer.activated"
	CustomerDeactivated        = "customer.deactivated"
	CustomerAccountLinked      = "customer.account.linked"
	CustomerAccountDeactivated = "customer.account.deactivated"
	PaymentCreated             = "payment.created"
	PaymentPending             = "payment.pending"
	PaymentAuthorized          = "payment.authorized"
	PaymentScheduled           = "payment.scheduled"
	PaymentInitiated           = "payment.initiated"
	PaymentSucceeded           = "payment.succeeded"
	PaymentFailed              = "payment.failed"
)

// LinkMoneyEvent is a verified Link Money webhook. The fields are read from
// the top level of the body or, when absent there, from under "metadata":
// both shapes are seen from Link Money.
type LinkMoneyEvent struct {
	ID                string // the webhook's unique id
	Type              string // eventType, e.g. payment.succeeded
	CreationTime      string // as received (ISO-8601)
	ClientReferenceID string // the payment's clientReferenceId, if it had one
	ResourceID        string // the customer or payment id
	ResourceType      string // Customer or Payment
	PaymentType       string // Debit or Credit
	ACHReturnCode     string // only on payment.failed

	// DeliveryID is what the handler deduplicates on: the verifier's
	// delivery id (x-signature-uniqueid) or, without one, ID.
	DeliveryID string

	// Raw is the verified body as received.
	Raw json.RawMessage
}

type lmFields struct {
	ID                string `json:"id"`
	EventType         string `json:"eventType"`
	CreationTime      string `json:"creationTime"`
	ClientReferenceID string `json:"clientReferenceId"`
	ResourceID        string `json:"resourceId"`
	ResourceType      string `json:"resourceType"`
	PaymentType       string `json:"paymentType"`
	ACHReturnCode     string `json:"achReturnCode"`
}

// ParseLinkMoneyEvent decodes a Link Money webhook body (without verifying it).
func ParseLinkMoneyEvent(body []byte) (*LinkMoneyEvent, error) {
	var top struct {
		lmFields
		Metadata *lmFields `json:"metadata"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, ErrMalformedPayload
	}
	f := top.lmFields
	if m := top.Metadata; m != nil {
		pick := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		pick(&f.ID, m.ID)
		pick(&f.EventType, m.EventType)
		pick(&f.CreationTime, m.CreationTime)
		pick(&f.ClientReferenceID, m.ClientReferenceID)
		pick(&f.ResourceID, m.ResourceID)
		pick(&f.ResourceType, m.ResourceType)
		pick(&f.PaymentType, m.PaymentType)
		pick(&f.ACHReturnCode, m.ACHReturnCode)
	}
	if f.EventType == "" {
		return nil, ErrMalformedPayload
	}
	return &LinkMoneyEvent{
		ID: f.ID, Type: f.EventType, CreationTime: f.CreationTime, ClientReferenceID: f.ClientReferenceID,
		ResourceID: f.ResourceID, ResourceType: f.ResourceType, PaymentType: f.PaymentType, ACHReturnCode: f.ACHReturnCode,
		Raw: append(json.RawMessage(nil), body...),
	}, nil
}
