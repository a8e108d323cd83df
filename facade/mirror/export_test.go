package mirror

// SetFailpoint makes the mirror call fn at each named step of a sync
// (link-read, accounts-read, page-read, page-applied, before-commit,
// after-commit); an error from fn fails the sync there, as a crash would.
func (m *Mirror) SetFailpoint(fn func(step string) error) { m.failpoint = fn }

// SetPageSize sets how many changes a sync asks for per page.
func (m *Mirror) SetPageSize(n int) { m.pageSize = n }

var ErrFailpoint = errFailpoint

var AdvisoryKey = advisoryKey
