package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"testing"

	"github.com/banklink/banklink/facade/sandbox"
)

// BenchmarkGetLinkParallel measures GET /links/{id}, the sandbox's hot path,
// from 64 concurrent clients over real HTTP on the loopback interface.
func BenchmarkGetLinkParallel(b *testing.B) {
	sb := sandbox.Start(b, sandbox.Config{NoRateLimits: true})
	c := mkClient(b, sb)
	tok := mkToken(b, c, sb.MoneyKit())
	id := newLink(b, sb, c, tok, sessionRequest("user-bench"), sandbox.ConnectOptions{})
	url := sb.MoneyKit().BaseURL + "/links/" + id
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}

	procs := max(1, 64/runtime.GOMAXPROCS(0))
	b.SetParallelism(procs)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("MoneyKit-Version", "2023-02-18")
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
