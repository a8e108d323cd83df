package facade_test

import (
	"testing"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/internal/testkit"
)

// fakeAPI is a loopback server for both providers (testkit.FakeAPI): it
// answers their token endpoints (unless a test routes them) and sends
// everything else to per-route handlers ("METHOD /path"), counting hits.
type fakeAPI struct {
	*testkit.FakeAPI
	t *testing.T
}

func newFakeAPI(t *testing.T) fakeAPI { return fakeAPI{testkit.NewFakeAPI(t), t} }

// moneyKit is a MoneyKit client of f whose retry waits return at once.
func (f fakeAPI) moneyKit(opts ...facade.Option) *moneykit.Client {
	f.t.Helper()
	return testkit.NewClient(f.t, moneykit.New, f.Options(opts...)...)
}

// linkMoney is a Link Money client of f whose retry waits return at once.
func (f fakeAPI) linkMoney(opts ...facade.Option) *linkmoney.Client {
	f.t.Helper()
	return testkit.NewClient(f.t, linkmoney.New, f.Options(opts...)...)
}
