package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/banklink/banklink/gen/linkmoney/linkmoneyspec"
	"github.com/banklink/banklink/gen/moneykit/moneykitspec"
)

// Every sandbox the package's tests create answers through checkResponses:
// each response to a spec operation is validated against the embedded spec
// as the providers' SDKs decode it (documented status, content type,
// required fields, enum values, exact types, RFC 3339 date-times). A
// response that does not conform is recorded with its operation, status and
// JSON pointer, and TestMain fails the run with the list.
// TestEveryOperationAnswersEachDocumentedStatus drives every operation to
// each status the spec documents for it.
func init() { wrapRouted = checkResponses }

// responseOptions are strict where the SDKs are: a status the operation
// does not document is a failure, and date-times and dates must parse as
// RFC 3339 exactly (the sandbox always writes an offset).
var responseOptions = &openapi3filter.Options{
	MultiError:            true,
	IncludeResponseStatus: true,
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
			"date-time": openapi3.NewCallbackValidator(func(s string) error {
				_, err := time.Parse(time.RFC3339Nano, s)
				return err
			}),
			"date": openapi3.NewCallbackValidator(func(s string) error {
				_, err := time.Parse(time.DateOnly, s)
				return err
			}),
		}),
	},
}

// alwaysSent are fields the spec leaves optional, so that banklink's client
// accepts a body without them, but that the sandbox always sends:
//   - MoneyKit: fields older SDK models (moneykit-ruby, the Stainless
//     moneykit-python) require where MoneyKit's newer models do not, so
//     every SDK version decodes the sandbox's answers (api/sdkfacts_test.go
//     lists the same fields);
//   - Link Money: the fields its documents (shared/reference/linkmoney.md)
//     show in every such body: the error body's four fields, the token
//     response's four, a payment's or refund's id and status, a customer's
//     details.
var alwaysSent = map[string][]string{
	"AccountBalances":  {"currency"},
	"Institution":      {"color"},
	"LinkMoneyError":   {"errorId", "errorCode", "errorMessage", "errorSeverity"},
	"TokenResponse":    {"token_type", "scope"},
	"PaymentResponse":  {"paymentId", "paymentStatus"},
	"RefundResponse":   {"paymentId", "paymentStatus"},
	"Customer":         {"firstName", "lastName", "email", "customerStatus", "accountDetails", "creationDate"},
	"CustomerAccounts": {"customerId", "accountDetails"},
}

// strictRoutes are the spec's operations, by operationId, in a copy of the
// spec with alwaysSent applied.
var strictRoutes = sync.OnceValue(func() map[string]*routers.Route {
	out := map[string]*routers.Route{}
	for _, get := range []func() (*openapi3.T, error){moneykitspec.GetSpec, linkmoneyspec.GetSpec} {
		doc, err := get()
		if err != nil {
			panic(err)
		}
		for name, fields := range alwaysSent {
			if ref := doc.Components.Schemas[name]; ref != nil && ref.Value != nil {
				for _, f := range fields {
					if ref.Value.Properties[f] == nil {
						panic("alwaysSent: " + name + " has no property " + f)
					}
				}
				ref.Value.Required = append(ref.Value.Required, fields...)
			}
		}
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				out[op.OperationID] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			}
		}
	}
	return out
})

// lmResponseOptions are responseOptions with Link Money's documented
// timestamp form: ISO-8601 UTC with milliseconds ("2022-05-27T19:46:24.548Z").
var lmResponseOptions = func() *openapi3filter.Options {
	o := *responseOptions
	o.SchemaValidationOptions = []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
			"date-time": openapi3.NewCallbackValidator(func(s string) error {
				t, err := time.Parse("2006-01-02T15:04:05.000Z", s)
				if err != nil || t.Format("2006-01-02T15:04:05.000Z") != s {
					return errors.New("not ISO-8601 UTC with milliseconds")
				}
				return nil
			}),
		}),
	}
	return &o
}()

// conformance is what the suite's responses showed.
var conformance = struct {
	mu       sync.Mutex
	failures map[string]string // "op status pointer" → first reason
}{failures: map[string]string{}}

func checkResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		next.ServeHTTP(tw, r)
		rs := stateOf(r.Context())
		if rs == nil || rs.op == nil || tw.cut || r.Context().Err() != nil {
			return // not a spec operation, or a dropped or truncated response
		}
		status := tw.status
		if status == 0 {
			status = http.StatusOK
		}
		recordResponse(r, rs.op, injectedStatus(rs), status, w.Header(), tw.body.Bytes())
	})
}

// injectedStatus reports whether a fault chose the response's status.
func injectedStatus(rs *reqState) bool {
	for _, t := range rs.injected {
		if strings.HasPrefix(t, "status=") {
			return true
		}
	}
	return false
}

// recordResponse validates one response. A status a test's fault injected
// is the test's choice: it is validated where the operation documents it.
func recordResponse(r *http.Request, op *opInfo, injected bool, status int, h http.Header, body []byte) {
	route := strictRoutes()[op.id]
	documented := route.Operation.Responses.Status(status) != nil
	if injected && !documented {
		return
	}
	var problems []string
	opts := responseOptions
	if op.provider == provLinkMoney {
		opts = lmResponseOptions
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, Route: route, Options: opts},
		Status:                 status,
		Header:                 h.Clone(),
		Options:                opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
		problems = append(problems, responseProblems(err)...)
	}
	if ref := route.Operation.Responses.Status(status); ref != nil && ref.Value != nil && len(ref.Value.Content) == 0 && len(body) > 0 {
		problems = append(problems, "(body): the spec documents no body for this status")
	}
	conformance.mu.Lock()
	defer conformance.mu.Unlock()
	for _, p := range problems {
		key := fmt.Sprintf("%s %s %d %s", op.provider, op.id, status, p)
		if _, ok := conformance.failures[key]; !ok {
			conformance.failures[key] = ""
		}
	}
}

// responseProblems lists a validation error as "JSON pointer: reason"
// lines, from the schema's rule, never the value sent.
func responseProblems(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			for _, e := range me {
				walk(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			ptr := "/" + strings.Join(se.JSONPointer(), "/")
			reason := se.Reason
			if se.SchemaField != "" {
				reason = se.SchemaField + ": " + reason
			}
			out = append(out, ptr+": "+reason)
			return
		}
		var re *openapi3filter.ResponseError
		if errors.As(err, &re) && re.Err != nil {
			before := len(out)
			walk(re.Err)
			if len(out) > before {
				return
			}
			out = append(out, "(response): "+re.Reason+": "+re.Err.Error())
			return
		}
		if re != nil {
			out = append(out, "(response): "+re.Reason)
			return
		}
		out = append(out, "(response): "+err.Error())
	}
	walk(err)
	return out
}

// ConformanceReport returns the responses that did not conform to the spec.
func ConformanceReport() error {
	conformance.mu.Lock()
	defer conformance.mu.Unlock()
	var lines []string
	for k := range conformance.failures {
		lines = append(lines, "nonconforming response: "+k)
	}
	if len(lines) == 0 {
		return nil
	}
	sort.Strings(lines)
	return errors.New(strings.Join(lines, "\n"))
}

// teeWriter keeps a copy of the response and notes a hijacked connection.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	cut    bool
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func (w *teeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.cut = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var _ io.Writer = (*teeWriter)(nil)
