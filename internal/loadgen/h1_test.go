package main

import (
	"bufio"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		status    int
		keep      bool
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, true},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n3\r\nabc\r\n0\r\nTrailer: v\r\n\r\n", 200, true},
		{"close", "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", 401, false},
		{"until close", "HTTP/1.1 200 OK\r\n\r\nbody to the end", 200, false},
		{"no body", "HTTP/1.1 204 No Content\r\n\r\n", 204, true},
		{"http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 200, true},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A second response follows; a kept connection must be positioned on it.
			br := bufio.NewReader(strings.NewReader(tc.raw + "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"))
			status, keep, err := readResponse(br)
			require.NoError(t, err)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.keep, keep)
			if keep {
				status, _, err = readResponse(br)
				require.NoError(t, err)
				assert.Equal(t, 202, status)
			}
		})
	}
	for _, bad := range []string{"", "SSH-2.0\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"} {
		_, keep, err := readResponse(bufio.NewReader(strings.NewReader(bad)))
		assert.Error(t, err, "%q", bad)
		assert.False(t, keep)
	}
}

func TestNewH1Request(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:4010/moneykit/links/mk_1")
	b, err := newH1Request(u, "Authorization", "Bearer t")
	require.NoError(t, err)
	assert.Equal(t, "GET /moneykit/links/mk_1 HTTP/1.1\r\nHost: 127.0.0.1:4010\r\nAuthorization: Bearer t\r\n\r\n", string(b))
	assert.Equal(t, "127.0.0.1:4010", hostPort(u))
	u, _ = url.Parse("https://example.com/x")
	_, err = newH1Request(u)
	require.Error(t, err)
}
