package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idSource holds the randomness behind every id, token and key the sandbox
// hands out. Without a seed it reads crypto/rand; with Config.Seed it reads
// a ChaCha8 stream derived from the seed, so that two sandboxes with the same
// seed, given the same calls in the same order, hand out the same ids.
type idSource struct {
	mu sync.Mutex
	r  *rand.ChaCha8 // nil: crypto/rand
}

func newIDSource(seed int64) *idSource {
	if seed == 0 {
		return &idSource{}
	}
	return &idSource{r: rand.NewChaCha8(sha256.Sum256([]byte("banklink sandbox ids\x00" + strconv.FormatInt(seed, 10))))}
}

// read fills b.
func (g *idSource) read(b []byte) {
	if g.r == nil {
		_, _ = crand.Read(b)
		return
	}
	g.mu.Lock()
	_, _ = g.r.Read(b)
	g.mu.Unlock()
}

// intN returns a uniform int in [0, n).
func (g *idSource) intN(n int) int {
	var b [8]byte
	g.read(b[:])
	return int(binary.BigEndian.Uint64(b[:]) % uint64(n)) // n is small: the bias is below 2^-50
}

// base62 returns n random base62 characters.
func (g *idSource) base62(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		g.read(buf[:])
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps the draw uniform.
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out)
}

func (g *idSource) hex(n int) string {
	b := make([]byte, (n+1)/2)
	g.read(b)
	return hex.EncodeToString(b)[:n]
}

// uuid returns a random (version 4) UUID in lower case.
func (g *idSource) uuid() string {
	var b [16]byte
	g.read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// linkID returns a MoneyKit link id such as mk_eqkWN34UEoa2NxyALG8pcV.
func (g *idSource) linkID() string { return "mk_" + g.base62(22) }

// sessionKey returns a Link Money session key shaped like
// a5292de413e-2626d8244239-879a9-ffbdfa2.
func (g *idSource) sessionKey() string {
	return g.hex(11) + "-" + g.hex(12) + "-" + g.hex(5) + "-" + g.hex(7)
}

// signingKey returns a P-256 key: a fresh one without a seed, else one
// drawn from the seeded stream, so that the JWKS repeats too.
func (g *idSource) signingKey() (*ecdsa.PrivateKey, error) {
	if g.r == nil {
		return ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	}
	var err error
	for range 64 {
		var d [32]byte
		g.read(d[:])
		// A scalar of zero or at least the group order is refused (odds
		// below 2^-32); drawing again keeps the key uniform.
		var key *ecdsa.PrivateKey
		if key, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:]); err == nil {
			return key, nil
		}
	}
	return nil, err
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
