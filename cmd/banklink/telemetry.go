//go:build !nootel

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/otelbanklink"
	"github.com/banklink/banklink/facade/webhook"
)

// The CLI exports traces and metrics by OTLP over HTTP/protobuf when the
// standard OpenTelemetry variables ask for it, and does nothing otherwise:
// no provider is built and no connection opened. A build with -tags nootel
// leaves OpenTelemetry out of the binary (telemetry_off.go).
//
//	OTEL_EXPORTER_OTLP_ENDPOINT          base URL; /v1/traces and /v1/metrics are appended
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT   traces URL, used as given (also _METRICS_)
//	OTEL_TRACES_EXPORTER                 otlp or none (default: otlp when an endpoint is set)
//	OTEL_METRICS_EXPORTER                otlp or none (likewise)
//	OTEL_EXPORTER_OTLP_PROTOCOL          http/protobuf only (also _TRACES_, _METRICS_)
//	OTEL_EXPORTER_OTLP_HEADERS           k=v,... sent to the collector (also _TRACES_, _METRICS_)
//	OTEL_SERVICE_NAME                    default banklink
//	OTEL_RESOURCE_ATTRIBUTES             k=v,... added to the resource
//	OTEL_SDK_DISABLED                    true turns it all off

// flushTimeout bounds the export at exit.
const flushTimeout = 5 * time.Second

// defaultOTLPEndpoint is the OTLP/HTTP default, used when an exporter is
// named otlp without an endpoint.
const defaultOTLPEndpoint = "http://localhost:4318"

// telemetry is the export the environment asked for; a nil *telemetry is
// off, and each of its methods is then a no-op.
type telemetry struct {
	tp   *sdktrace.TracerProvider // nil when traces are off
	mp   *sdkmetric.MeterProvider // nil when metrics are off
	root trace.Span               // the command's span
}

// startTelemetry builds the providers the OTEL_* variables ask for and
// opens the command's span; it returns ctx unchanged and nil when none is.
func startTelemetry(ctx context.Context, getenv env, errOut io.Writer) (context.Context, *telemetry, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return ctx, nil, nil
	}
	traces, err := otlpTarget(getenv, "TRACES", "traces")
	if err != nil {
		return ctx, nil, err
	}
	metrics, err := otlpTarget(getenv, "METRICS", "metrics")
	if err != nil {
		return ctx, nil, err
	}
	if traces == nil && metrics == nil {
		return ctx, nil, nil
	}
	res, err := telemetryResource(getenv)
	if err != nil {
		return ctx, nil, err
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		fmt.Fprintf(errOut, "banklink: warning: telemetry: %v\n", err)
	}))
	t := &telemetry{}
	if traces != nil {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(traces.url), otlptracehttp.WithHeaders(traces.headers),
			otlptracehttp.WithTimeout(flushTimeout))
		if err != nil {
			return ctx, nil, fmt.Errorf("telemetry: %w", err)
		}
		t.tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	}
	if metrics != nil {
		exp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(metrics.url), otlpmetrichttp.WithHeaders(metrics.headers),
			otlpmetrichttp.WithTimeout(flushTimeout))
		if err != nil {
			return ctx, nil, fmt.Errorf("telemetry: %w", err)
		}
		t.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
	}
	if t.tp != nil {
		ctx, t.root = t.tp.Tracer(otelbanklink.ScopeName).Start(ctx, "banklink", trace.WithSpanKind(trace.SpanKindInternal))
	}
	return ctx, t, nil
}

// otlpTarget is one signal's destination: its URL and headers.
type otlpDest struct {
	url     string
	headers map[string]string
}

// otlpTarget reads a signal's exporter settings (signal is TRACES or
// METRICS, path its OTLP/HTTP path); nil means the signal is not exported.
func otlpTarget(getenv env, signal, path string) (*otlpDest, error) {
	exporterVar := "OTEL_" + signal + "_EXPORTER"
	exporter := strings.TrimSpace(getenv(exporterVar))
	specific, generic := getenv("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT"), getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	switch exporter {
	case "none":
		return nil, nil
	case "":
		if specific == "" && generic == "" {
			return nil, nil
		}
	case "otlp":
	default:
		return nil, usagef("%s=%q: banklink exports by otlp (or none)", exporterVar, exporter)
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := strings.TrimSpace(getenv(v)); p != "" {
			if p != "http/protobuf" {
				return nil, usagef("%s=%q: banklink exports OTLP over http/protobuf only", v, p)
			}
			break
		}
	}
	d := &otlpDest{}
	endpointVar := "OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT"
	switch {
	case specific != "":
		d.url = specific
	case generic != "":
		endpointVar = "OTEL_EXPORTER_OTLP_ENDPOINT"
		d.url = strings.TrimRight(generic, "/") + "/v1/" + path
	default:
		d.url = defaultOTLPEndpoint + "/v1/" + path
	}
	u, err := url.Parse(d.url)
	switch {
	case err != nil, u.Host == "", u.Scheme != "http" && u.Scheme != "https":
		// The value is not echoed: it may carry a credential.
		return nil, usagef("%s: not an http or https URL", endpointVar)
	case u.User != nil:
		return nil, usagef("%s: the URL must not carry user info; send credentials with OTEL_EXPORTER_OTLP_HEADERS", endpointVar)
	}
	headersVar := "OTEL_EXPORTER_OTLP_" + signal + "_HEADERS"
	raw := getenv(headersVar)
	if raw == "" {
		headersVar, raw = "OTEL_EXPORTER_OTLP_HEADERS", getenv("OTEL_EXPORTER_OTLP_HEADERS")
	}
	if d.headers, err = keyValues(raw); err != nil {
		return nil, usagef("%s: %v", headersVar, err)
	}
	return d, nil
}

// keyValues parses the OTEL list format: k=v pairs separated by commas,
// each part percent-encoded.
func keyValues(s string) (map[string]string, error) {
	out := map[string]string{}
	for i, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("entry %d is not key=value", i+1)
		}
		key, err1 := url.PathUnescape(k)
		val, err2 := url.PathUnescape(strings.TrimSpace(v))
		if err1 != nil || err2 != nil {
			// Neither part is echoed: a header value may be a credential.
			return nil, fmt.Errorf("entry %d is not percent-encoded correctly", i+1)
		}
		out[key] = val
	}
	return out, nil
}

// telemetryResource names the service: OTEL_SERVICE_NAME, else the
// service.name of OTEL_RESOURCE_ATTRIBUTES, else banklink.
func telemetryResource(getenv env) (*resource.Resource, error) {
	kv, err := keyValues(getenv("OTEL_RESOURCE_ATTRIBUTES"))
	if err != nil {
		return nil, usagef("OTEL_RESOURCE_ATTRIBUTES: %v", err)
	}
	attrs := make([]attribute.KeyValue, 0, len(kv)+2)
	for k, v := range kv {
		attrs = append(attrs, attribute.String(k, v))
	}
	name := strings.TrimSpace(getenv("OTEL_SERVICE_NAME"))
	if name == "" {
		name = kv[string(semconv.ServiceNameKey)]
	}
	if name == "" {
		name = "banklink"
	}
	attrs = append(attrs, semconv.ServiceName(name), semconv.ServiceVersion(version()))
	return resource.NewWithAttributes(semconv.SchemaURL, attrs...), nil
}

// named names the command's span after the command that runs.
func (t *telemetry) named(c *cobra.Command) {
	if t == nil || t.root == nil {
		return
	}
	t.root.SetName(c.CommandPath())
}

// end closes the command's span with its exit status and exports what is left,
// within flushTimeout; a failure to export is a warning, not the command's.
func (t *telemetry) end(exit int, errOut io.Writer) {
	if t == nil {
		return
	}
	if t.root != nil {
		t.root.SetAttributes(attribute.Int("process.exit.code", exit))
		if exit != exitOK {
			t.root.SetStatus(codes.Error, "exit status "+strconv.Itoa(exit))
		}
		t.root.End()
	}
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	var errs []error
	if t.tp != nil {
		errs = append(errs, t.tp.Shutdown(ctx))
	}
	if t.mp != nil {
		errs = append(errs, t.mp.Shutdown(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(errOut, "banklink: warning: telemetry export failed: %v\n", err)
	}
}

func (t *telemetry) otelOptions() []otelbanklink.Option {
	var opts []otelbanklink.Option
	if t.tp != nil {
		opts = append(opts, otelbanklink.WithTracerProvider(t.tp))
	} else {
		opts = append(opts, otelbanklink.WithTracerProvider(tracenoop.NewTracerProvider()))
	}
	if t.mp != nil {
		opts = append(opts, otelbanklink.WithMeterProvider(t.mp))
	} else {
		opts = append(opts, otelbanklink.WithMeterProvider(metricnoop.NewMeterProvider()))
	}
	return opts
}

// clientOptions trace and measure a provider client's calls.
func (t *telemetry) clientOptions() []facade.Option {
	if t == nil {
		return nil
	}
	return []facade.Option{otelbanklink.WithTelemetry(t.otelOptions()...)}
}

// webhookOptions trace and count a webhook handler's deliveries.
func (t *telemetry) webhookOptions() []webhook.HandlerOption {
	if t == nil {
		return nil
	}
	return []webhook.HandlerOption{otelbanklink.WithWebhookTelemetry(t.otelOptions()...)}
}

// logHandler adds trace_id and span_id to the records of a traced call.
func (t *telemetry) logHandler(h slog.Handler) slog.Handler {
	if t == nil || t.tp == nil {
		return h
	}
	return otelbanklink.LogHandler(h)
}

// serverHandler opens a server span per request h serves (the sandbox's),
// named by the method; it records the method, the address and the status,
// never the path (the route is the sandbox's own), the query, a header or a
// body.
func (t *telemetry) serverHandler(h http.Handler) http.Handler {
	if t == nil || t.tp == nil {
		return h
	}
	tracer := t.tp.Tracer(otelbanklink.ScopeName)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, name := r.Method, r.Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
			http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		default:
			// A made-up method: the conventions' "_OTHER", span "HTTP".
			method, name = "_OTHER", "HTTP"
		}
		attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(method), semconv.URLScheme("http")}
		if host, port, err := net.SplitHostPort(r.Host); err == nil {
			if p, err := strconv.Atoi(port); err == nil {
				attrs = append(attrs, semconv.ServerAddress(host), semconv.ServerPort(p))
			}
		}
		ctx, span := tracer.Start(r.Context(), name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r.WithContext(ctx))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
		if status >= 500 {
			span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(status)))
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
		span.End()
	})
}

// statusWriter records the status a handler answers.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (Flush, Hijack).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
