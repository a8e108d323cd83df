package facade_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/banklink/banklink/facade"
)

// The request validation tests of each provider are beside its request
// builders (facade/moneykit, facade/linkmoney); this one is the shared
// error's message.
func TestValidationMessageListsEveryViolation(t *testing.T) {
	e := &facade.ValidationError{Operation: "createPayment", Violations: []facade.Violation{
		{Path: "/amount/value", Rule: "decimalPlaces", Message: "amount.value has at most 2 decimal places"},
		{Path: "/softDescriptor", Rule: "maxLength", Message: "softDescriptor is at most 80 characters"},
	}}
	assert.Equal(t, "banklink: invalid createPayment request (nothing was sent): /amount/value: decimalPlaces (amount.value has at most 2 decimal places); /softDescriptor: maxLength (softDescriptor is at most 80 characters)", e.Error())
	assert.ErrorIs(t, e, facade.ErrInvalidRequest)
}
