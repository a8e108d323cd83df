package linkmoney

import (
	"testing"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/internal/testkit"
)

// fakeAPI is a loopback Link Money (testkit.FakeAPI): it answers POST
// /v1/tokens itself and routes everything else to per-route handlers,
// counting hits, bodies and token requests.
type fakeAPI struct {
	*testkit.FakeAPI
	t *testing.T
}

func newFakeAPI(t *testing.T) fakeAPI { return fakeAPI{testkit.NewFakeAPI(t), t} }

// linkMoney is a client of f whose retry waits return at once.
func (f fakeAPI) linkMoney(opts ...facade.Option) *Client {
	f.t.Helper()
	return testkit.NewClient(f.t, New, f.Options(opts...)...)
}
