package memnet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

func TestServerOnTheBubbleClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, l := NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Minute) // on the bubble's clock
			_, _ = io.WriteString(w, "late")
		}))
		hc := Client(t, &http.Client{Transport: &http.Transport{}}, l)
		start := time.Now()
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if string(b) != "late" || time.Since(start) != time.Minute {
			t.Fatalf("got %q after %v, want \"late\" after 1m", b, time.Since(start))
		}
		if l.Dials() != 1 {
			t.Fatalf("%d dials, want 1", l.Dials())
		}
	})
}

func TestClosedListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := Listen()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v", err)
		}
		if _, err := l.DialContext(context.Background(), "tcp", "x"); !errors.Is(err, ErrRefused) {
			t.Fatalf("Dial after Close: %v", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := Listen().DialContext(ctx, "tcp", "x"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial with an ended context: %v", err)
		}
		if l.Dials() != 0 {
			t.Fatalf("%d dials counted, want 0", l.Dials())
		}
	})
}
