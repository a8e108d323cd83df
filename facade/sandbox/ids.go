package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randBase62 returns n random base62 characters.
func randBase62(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:])
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps the draw uniform.
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out)
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// newUUID returns a random (version 4) UUID in lower case.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newLinkID returns a MoneyKit link id such as mk_eqkWN34UEoa2NxyALG8pcV.
func newLinkID() string { return "mk_" + randBase62(22) }

// newSessionKey returns a Link Money session key shaped like
// a5292de413e-2626d8244239-879a9-ffbdfa2.
func newSessionKey() string {
	return randHex(11) + "-" + randHex(12) + "-" + randHex(5) + "-" + randHex(7)
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
