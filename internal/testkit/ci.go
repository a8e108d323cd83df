package testkit

import (
	"os"
	"strconv"
)

// UnderCI reports whether the tests run under CI: the CI variable read as
// strconv.ParseBool reads it, so CI=true, CI=1 and CI=TRUE all count. Under
// CI a missing system dependency (Chromium, Postgres, redis-server) fails
// the test instead of skipping it.
func UnderCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}
