// Package redact removes credentials from text that banklink shows:
// error messages and log records.
package redact

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// urlUserinfo matches the user-info part of a URL inside a message, up to the
// last "@" of a run without spaces or quotes.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^\s"'<>]*@`)

// Credentials replaces the user info of any URL in msg with REDACTED.
// Proxy errors from net/http quote the proxy URL as configured, password
// included (`invalid proxy address "http://user:pass@…"`).
func Credentials(msg string) string {
	if !strings.Contains(msg, "@") {
		return msg
	}
	return urlUserinfo.ReplaceAllString(msg, "${1}REDACTED@")
}

// URLErrCause strips the URL from a *url.Error so messages never echo path
// parameters (which may be customer identifiers).
func URLErrCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
