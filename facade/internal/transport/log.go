package transport

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/redact"
	"github.com/banklink/banklink/internal/termsafe"
)

// logAttempt writes one debug record per HTTP attempt. It records only the
// method, the path template (never the concrete path, which can hold customer
// identifiers), status, attempt number, duration, request id, and the retry
// decision with its reason. Nothing from headers or bodies is logged.
func (c *client) logAttempt(ctx context.Context, op *operation, attempt, status int, d time.Duration, reqID, decision, reason string, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := make([]slog.Attr, 0, 11)
	attrs = append(attrs,
		slog.String("provider", string(op.provider)),
		slog.String("operation", op.id),
		slog.String("method", op.method),
		slog.String("path", op.path),
		slog.Int("attempt", attempt),
		slog.Duration("duration", d),
		slog.String("decision", decision),
	)
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if reqID != "" {
		attrs = append(attrs, slog.String("request_id", termsafe.String(reqID, maxShownCode)))
	}
	if reason != "" {
		attrs = append(attrs, slog.String("reason", reason))
	}
	if err != nil && status == 0 {
		// Transport failures only; the message carries no URL.
		attrs = append(attrs, slog.String("error", redact.Credentials(urlErrCause(err).Error())))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "banklink attempt", attrs...)
}

func retryReason(a *facade.Attempt, hinted bool, delay time.Duration) string {
	var why string
	switch {
	case a.Response != nil:
		why = "status " + strconv.Itoa(a.Response.StatusCode) + " is retryable for " + a.Safety.String() + " operations"
	case !a.ReachedServer:
		why = "connection failed before the request was sent"
	default:
		why = "connection error on a " + a.Safety.String() + " operation"
	}
	if hinted {
		return why + "; waiting " + delay.String() + " as the server asked"
	}
	return why + "; backing off " + delay.Round(time.Millisecond).String()
}

func notRetriedReason(a *facade.Attempt) string {
	switch {
	case a.Response != nil && facade.RetryableStatus(a.Response.StatusCode):
		return "status " + strconv.Itoa(a.Response.StatusCode) + " is not retried for " + a.Safety.String() + " operations"
	case a.Response != nil:
		return "status " + strconv.Itoa(a.Response.StatusCode) + " is not retryable"
	case a.ReachedServer && (a.Safety == facade.SafetyUnsafe || a.Safety == facade.SafetySingleUse):
		return "the request may have reached the server; " + a.Safety.String() + " operations are not replayed"
	default:
		return "error is not retryable"
	}
}
