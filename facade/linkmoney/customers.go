package linkmoney

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/linkmoney"
)

// CustomersService reads the customers the hosted UI created. A
// customer's name, email, phone and address are personal data: banklink
// never logs them.
type CustomersService struct{ t *transport.Client[gen.Op] }

// Get fetches a customer (GET /v1/customers/{customerId}).
func (s *CustomersService) Get(ctx context.Context, customerID string, opts ...facade.CallOption) (*Customer, error) {
	return transport.Do[Customer](ctx, s.t, gen.OpGetCustomer, transport.Call{Path: []string{customerID}}, opts)
}

// Accounts lists a customer's linked accounts (GET /v1/customers/{customerId}/accounts).
func (s *CustomersService) Accounts(ctx context.Context, customerID string, opts ...facade.CallOption) (*CustomerAccounts, error) {
	return transport.Do[CustomerAccounts](ctx, s.t, gen.OpGetCustomerAccounts, transport.Call{Path: []string{customerID}}, opts)
}
