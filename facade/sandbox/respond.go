package sandbox

import (
	"encoding/json"
	"net/http"
)

// Link Money documents one errorId (10003 for INTERNAL_SERVER_ERROR); the
// sandbox gives the other codes it uses ids of its own.
var lmErrorIDs = map[string]int64{
	"BAD_REQUEST":           10001,
	"UNAUTHORIZED":          10002,
	"INTERNAL_SERVER_ERROR": 10003,
	"NOT_FOUND":             10004,
	"TOKEN_EXPIRED":         10005,
	"INVALID_SCOPE":         10006,
	"DUPLICATE_REQUEST_KEY": 10007,
	"CUSTOMER_NOT_FOUND":    10008,
	"CUSTOMER_NOT_ACTIVE":   10009,
	"INVALID_PAYMENT":       10010,
	"INVALID_REFUND":        10011,
	"SERVICE_UNAVAILABLE":   10012,
	"TOO_MANY_REQUESTS":     10013,
	"METHOD_NOT_ALLOWED":    10014,
	"ERROR":                 10099,
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

type mkErrorBody struct {
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

// mkValidationBody is MoneyKit's api_error.request.validation_failed body;
// validation_errors always holds at least one entry.
type mkValidationBody struct {
	ErrorCode        string        `json:"error_code"`
	ErrorMessage     string        `json:"error_message"`
	ValidationErrors []mkViolation `json:"validation_errors"`
}

type mkViolation struct {
	Location []any  `json:"location"`
	Message  string `json:"message"`
	Type     string `json:"type"`
}

func mkValidation(vs ...mkViolation) mkValidationBody {
	for i := range vs {
		if vs[i].Location == nil {
			vs[i].Location = []any{}
		}
	}
	return mkValidationBody{"api_error.request.validation_failed", "Request validation error", vs}
}

type lmErrorBody struct {
	ErrorID       int64  `json:"errorId"`
	ErrorCode     string `json:"errorCode"`
	ErrorMessage  string `json:"errorMessage"`
	ErrorSeverity string `json:"errorSeverity"`
}

func lmError(code, msg string) lmErrorBody {
	return lmErrorBody{ErrorID: lmErrorIDs[code], ErrorCode: code, ErrorMessage: msg, ErrorSeverity: "ERROR"}
}

// writeMK answers a MoneyKit error.
func (s *Sandbox) writeMK(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, mkErrorBody{ErrorCode: code, ErrorMessage: msg})
}

// writeLM answers a Link Money error.
func (s *Sandbox) writeLM(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, lmError(code, msg))
}

// writeRateLimited answers 429 in the provider's shape; the caller sets Retry-After.
func (s *Sandbox) writeRateLimited(w http.ResponseWriter, provider string) {
	if provider == provMoneyKit {
		s.writeMK(w, http.StatusTooManyRequests, "api_error.rate_limit_exceeded", "Rate limit exceeded")
		return
	}
	s.writeLM(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "Too many requests.")
}
