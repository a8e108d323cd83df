package moneykit

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// InstitutionsParams selects institutions of GET /institutions.
type InstitutionsParams struct {
	// Name keeps institutions whose name contains it (wholly or as a prefix).
	Name string
	// Featured keeps only featured institutions.
	Featured bool
	// Cursor is where to start: "" for the first page, or a previous
	// page's cursors.next.
	Cursor string
	// Limit is the page size, 1 to 1000 (0 means 50).
	Limit int
}

// InstitutionsService searches MoneyKit's institution catalogue.
type InstitutionsService struct{ t *transport.Client[gen.Op] }

// List returns one page of institutions (GET /institutions).
func (s *InstitutionsService) List(ctx context.Context, p InstitutionsParams, opts ...facade.CallOption) (*GetInstitutionsResponse, error) {
	q := transport.Query{}.Str("name", p.Name).Bool("featured", p.Featured).Str("cursor", p.Cursor).Int("limit", p.Limit)
	return transport.Do[GetInstitutionsResponse](ctx, s.t, gen.OpGetInstitutions, transport.Call{Query: q}, opts)
}

// Pager returns a lazy pager over every institution List selects.
func (s *InstitutionsService) Pager(p InstitutionsParams, opts ...facade.CallOption) *CursorPager[Institution] {
	return newCursorPager(p.Cursor, func(ctx context.Context, cursor string) (cursorPage[Institution], error) {
		q := p
		q.Cursor = cursor
		r, err := s.List(ctx, q, opts...)
		if err != nil {
			return cursorPage[Institution]{}, err
		}
		return cursorPage[Institution]{Items: r.Institutions, Next: r.Cursors.Next}, nil
	})
}

// Get returns one institution by id or alias (GET /institutions/{institution_id}).
func (s *InstitutionsService) Get(ctx context.Context, institutionID string, opts ...facade.CallOption) (*Institution, error) {
	return transport.Do[Institution](ctx, s.t, gen.OpGetInstitution, transport.Call{Path: []string{institutionID}}, opts)
}
