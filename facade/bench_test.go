package facade

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// benchServer answers the three benchmarked routes and the token endpoints.
func benchServer(b *testing.B) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/auth/token":
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"bearer","expires_in":3600}`)
		case "/v1/tokens":
			_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
		case "/links/mk_1":
			_, _ = io.WriteString(w, linkJSON)
		case "/link-session":
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"link_session_token":"lst"}`)
		case "/v2/sessions":
			_, _ = io.WriteString(w, `{"sessionKey":"k","sessionUrl":"https://client.link.money/?sessionKey=k"}`)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	b.Cleanup(srv.Close)
	return srv, &conns
}

func rawGetLink(hc *http.Client, base string) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, base+"/links/mk_1", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("MoneyKit-Version", "2023-02-18")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out moneykit.LinkCommon
	return json.NewDecoder(resp.Body).Decode(&out)
}

func rawPost(hc *http.Client, url string, in, out any) error {
	buf, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(buf))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

func benchPair(b *testing.B, raw, facade func() error) {
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := raw(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("facade", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := facade(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := raw(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("facade-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := facade(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkGetLink(b *testing.B) {
	srv, _ := benchServer(b)
	hc := rawClient()
	mk, err := NewMoneyKit(WithCredentials("id", "secret"), WithBaseURL(srv.URL))
	require.NoError(b, err)
	ctx := context.Background()
	benchPair(b, func() error { return rawGetLink(hc, srv.URL) }, func() error { _, err := mk.Links.Get(ctx, "mk_1"); return err })
}

func BenchmarkCreateLinkSession(b *testing.B) {
	srv, _ := benchServer(b)
	hc := rawClient()
	mk, err := NewMoneyKit(WithCredentials("id", "secret"), WithBaseURL(srv.URL))
	require.NoError(b, err)
	ctx := context.Background()
	benchPair(b, func() error {
		var out moneykit.CreateLinkSessionResponse
		return rawPost(hc, srv.URL+"/link-session", NewLinkSession("user-42", "https://app.example/oauth"), &out)
	}, func() error {
		_, err := mk.LinkSessions.Create(ctx, NewLinkSession("user-42", "https://app.example/oauth"))
		return err
	})
}

func BenchmarkCreateSession(b *testing.B) {
	srv, _ := benchServer(b)
	hc := rawClient()
	lm, err := NewLinkMoney(WithCredentials("id", "secret"), WithBaseURL(srv.URL))
	require.NoError(b, err)
	ctx := context.Background()
	cust := SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}
	benchPair(b, func() error {
		var out linkmoney.SessionResponse
		return rawPost(hc, srv.URL+"/v2/sessions", NewSession(cust, "https://m.example/r"), &out)
	}, func() error {
		_, err := lm.Sessions.Create(ctx, NewSession(cust, "https://m.example/r"))
		return err
	})
}

// TestConnectionReuse checks that 64 concurrent callers share at most 64 connections.
func TestConnectionReuse(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/auth/token" {
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"bearer","expires_in":3600}`)
			return
		}
		if r.URL.Path == "/links/mk_err" {
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"error_code":"link_error.not_found","error_message":"Link not found."}`)
			return
		}
		_, _ = io.WriteString(w, linkJSON)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	mk, err := NewMoneyKit(WithCredentials("id", "secret"), WithBaseURL(srv.URL))
	require.NoError(t, err)
	done := make(chan error, 64)
	for g := range 64 {
		go func() {
			for i := range 200 {
				id := "mk_1"
				if (g+i)%7 == 0 {
					id = "mk_err" // error bodies must be drained too
				}
				_, err := mk.Links.Get(context.Background(), id)
				if err != nil && id == "mk_1" {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 64 {
		require.NoError(t, <-done)
	}
	require.LessOrEqual(t, conns.Load(), int64(64))
}

// rawClient is the baseline's client: banklink's default client, so the
// comparison measures the facade, not the timeouts both sides configure.
// (A client without Timeout and ResponseHeaderTimeout costs about 13 fewer
// allocations per call.)
func rawClient() *http.Client { return DefaultHTTPClient() }
