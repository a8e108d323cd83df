// Package memnet is an in-memory network for banklink's tests: a
// net.Listener whose connections are net.Pipe pairs, and helpers that put an
// HTTP server and client on it.
//
// Blocking on a loopback socket does not count as durably blocked inside a
// testing/synctest bubble, so a bubble whose goroutines wait on real network
// I/O never advances its fake clock. Over memnet every wait is a channel
// operation, and a client, a server and their timeouts run entirely on the
// bubble's clock. Create the listener inside the bubble that uses it.
package memnet

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// ErrRefused is returned by Dial once the listener is closed.
var ErrRefused = errors.New("memnet: connection refused (listener closed)")

// Addr is the address every Listener reports. Nothing listens on port 1 of
// the loopback interface, so a client that dials it for real fails at once
// instead of reaching another process.
var Addr net.Addr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}

// Listener hands out the server ends of in-memory connections made by
// DialContext.
type Listener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	dials atomic.Int64
}

// Listen returns a new Listener.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and refuses further dials. Connections already made
// stay open.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns Addr.
func (l *Listener) Addr() net.Addr { return Addr }

// DialContext connects to the listener whatever network and address it is
// given (it has the signature of http.Transport.DialContext). It waits for
// Accept, and fails when ctx ends or the listener is closed.
func (l *Listener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		l.dials.Add(1)
		return client, nil
	case <-ctx.Done():
		_ = client.Close()
		_ = server.Close()
		return nil, ctx.Err()
	case <-l.done:
		_ = client.Close()
		_ = server.Close()
		return nil, ErrRefused
	}
}

// Dials reports how many connections DialContext has made.
func (l *Listener) Dials() int64 { return l.dials.Load() }

// NewServer starts an httptest.Server for h on a new Listener and closes it
// when tb's test ends. Clients reach it through the listener's DialContext
// (see Client); the server's URL names Addr.
func NewServer(tb testing.TB, h http.Handler) (*httptest.Server, *Listener) {
	tb.Helper()
	l := Listen()
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv, l
}

// Client returns hc (which must have an *http.Transport) dialling l, with
// its idle connections closed when tb's test ends, so that no connection
// goroutine outlives a synctest bubble.
func Client(tb testing.TB, hc *http.Client, l *Listener) *http.Client {
	tb.Helper()
	hc.Transport.(*http.Transport).DialContext = l.DialContext
	tb.Cleanup(hc.CloseIdleConnections)
	return hc
}
