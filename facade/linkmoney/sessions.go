package linkmoney

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/linkmoney"
)

// SessionsService creates sessions for Link Money's hosted UI.
type SessionsService struct{ t *transport.Client[gen.Op] }

// Create gets a session key and URL (POST /v2/sessions, HTTP Basic auth);
// build req with NewSession. It is retried only after a 429 or when the
// request never reached Link Money.
func (s *SessionsService) Create(ctx context.Context, req *SessionRequest, opts ...facade.CallOption) (*Session, error) {
	return transport.Do[Session](ctx, s.t, gen.OpCreateSession, transport.Call{Body: req}, opts)
}
