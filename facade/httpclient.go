package facade

import (
	"net"
	"net/http"
	"time"
)

// DefaultMaxConnsPerHost bounds the default client's connections to one host.
// Further concurrent callers wait for a free connection; that is far above
// what the providers' published rate limits allow anyway.
const DefaultMaxConnsPerHost = 64

// DefaultHTTPClient returns a new copy of the HTTP client banklink uses when
// WithHTTPClient is not given, for callers who want to adjust it (for
// example, to add a proxy) rather than start from a zero http.Client. Its
// transport is a clone of http.DefaultTransport when that is an
// *http.Transport, and a fresh one when a program has wrapped it.
func DefaultHTTPClient() *http.Client { return defaultHTTPClient() }

// maxResponseHeader bounds the header block of an answer the default client
// reads (net/http's own bound is 10 MB). Both providers' answers carry a
// few hundred bytes of headers; a larger block is refused as a transport
// failure instead of being buffered.
const maxResponseHeader = 1 << 20

// defaultHTTPClient is tuned for many goroutines calling one host: every
// connection it may open stays in the idle pool, so up to 64 concurrent
// callers reuse theirs and never race each other into extra dials; bounded
// dial, handshake and header waits; at most 1 MiB of an answer's headers;
// HTTP/2 when the server offers it; and no redirects (an API answer is never
// a redirect; following one could carry credentials elsewhere).
func defaultHTTPClient() *http.Client {
	t := baseTransport(http.DefaultTransport)
	t.MaxConnsPerHost = DefaultMaxConnsPerHost
	t.MaxIdleConnsPerHost = DefaultMaxConnsPerHost
	t.MaxIdleConns = 4 * DefaultMaxConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	t.MaxResponseHeaderBytes = maxResponseHeader
	t.ExpectContinueTimeout = time.Second
	t.ForceAttemptHTTP2 = true
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{
		Transport: t,
		Timeout:   DefaultAttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// baseTransport clones def when it is an *http.Transport, keeping settings
// such as a proxy or TLS roots a program gave it. A program may also have
// replaced http.DefaultTransport with a wrapper (tracing setups do); banklink
// then starts from a fresh transport with net/http's defaults (proxy from
// the environment) rather than fail. Tracing of banklink's calls belongs in
// WithMiddleware or WithHTTPClient.
func baseTransport(def http.RoundTripper) *http.Transport {
	if t, ok := def.(*http.Transport); ok && t != nil {
		return t.Clone()
	}
	return &http.Transport{Proxy: http.ProxyFromEnvironment}
}
