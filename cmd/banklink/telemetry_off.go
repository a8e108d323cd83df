//go:build nootel

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/webhook"
)

// This build (-tags nootel) leaves OpenTelemetry out: the OTEL_* variables
// are ignored, with a note when one would have turned the export on.

type telemetry struct{}

func startTelemetry(ctx context.Context, getenv env, errOut io.Writer) (context.Context, *telemetry, error) {
	for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER"} {
		if getenv(v) != "" {
			fmt.Fprintf(errOut, "banklink: note: %s is ignored: this banklink was built without OpenTelemetry (-tags nootel)\n", v)
			break
		}
	}
	return ctx, nil, nil
}

func (*telemetry) named(*cobra.Command)                      {}
func (*telemetry) end(int, io.Writer)                        {}
func (*telemetry) clientOptions() []facade.Option            { return nil }
func (*telemetry) webhookOptions() []webhook.HandlerOption   { return nil }
func (*telemetry) logHandler(h slog.Handler) slog.Handler    { return h }
func (*telemetry) serverHandler(h http.Handler) http.Handler { return h }
