package otelbanklink_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/otelbanklink"
)

// A MoneyKit client whose calls are traced with a TracerProvider of the
// program's own (here one that keeps the spans in memory; in production, a
// batch span processor and an OTLP exporter).
func ExampleWithTelemetry() {
	srv := exampleServer() // stands in for api.moneykit.com
	defer srv.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	logger := slog.New(otelbanklink.LogHandler(slog.NewTextHandler(os.Stderr, nil)))
	mk, err := moneykit.New(
		facade.WithCredentials("client-id", "client-secret"),
		facade.WithBaseURL(srv.URL),
		facade.WithLogger(logger), // its records carry trace_id and span_id
		otelbanklink.WithTelemetry(otelbanklink.WithTracerProvider(tp)),
	)
	if err != nil {
		log.Fatal(err)
	}
	link, err := mk.Links.Get(context.Background(), "mk_eqkWN34UEoa2NxyALG8pcV")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link.LinkId)
	for _, s := range spans.GetSpans() {
		fmt.Printf("%s (%s)\n", s.Name, s.SpanKind)
	}
	// Output:
	// mk_eqkWN34UEoa2NxyALG8pcV
	// POST /auth/token (client)
	// createAccessToken (internal)
	// banklink.token (internal)
	// GET /links/{id} (client)
	// getLink (internal)
}

func exampleServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/auth/token" {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"access_token":"example-token","token_type":"bearer","expires_in":3600}`))
			return
		}
		_, _ = w.Write(benchLinkJSON)
	}))
}
