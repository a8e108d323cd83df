package moneykit

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
)

func TestValidationRefusesBeforeSending(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func(mk *Client) error
		rules []string // paths and rules the message must name
	}{
		{"link session: short user id and query in redirect", func(mk *Client) error {
			return drop(mk.LinkSessions.Create(ctx, NewLinkSession("abc", "https://app.example/oauth?x=1")))
		}, []string{"customer_user", "redirect_uri"}},
		{"link session: nil", func(mk *Client) error { return drop(mk.LinkSessions.Create(ctx, nil)) }, []string{"required"}},
		{"link session: bad tag", func(mk *Client) error {
			return drop(mk.LinkSessions.Create(ctx, NewLinkSession("user-42", "https://app.example/oauth", WithLinkTags("-starts-with-dash"))))
		}, []string{"link_tags"}},
		{"get link: empty id", func(mk *Client) error { return drop(mk.Links.Get(ctx, "")) }, []string{"id", "required"}},
		{"delete link: empty id", func(mk *Client) error { return mk.Links.Delete(ctx, "") }, []string{"id"}},
		{"update link: no changes", func(mk *Client) error { return drop(mk.Links.Update(ctx, "mk_1", NewLinkUpdate())) }, []string{"required"}},
		{"user links: short id", func(mk *Client) error { return drop(mk.Users.Links(ctx, "ab")) }, []string{"id"}},
		{"exchange: empty token", func(mk *Client) error { return drop(mk.LinkSessions.Exchange(ctx, "")) }, []string{"exchangeable_token"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			err := tc.call(f.moneyKit())
			require.ErrorIs(t, err, facade.ErrInvalidRequest)
			var ve *facade.ValidationError
			require.ErrorAs(t, err, &ve)
			require.NotEmpty(t, ve.Violations)
			msg := err.Error()
			assert.Contains(t, msg, "nothing was sent")
			for _, want := range tc.rules {
				assert.Contains(t, msg, want)
			}
			for _, v := range ve.Violations {
				assert.Contains(t, msg, v.Rule)
			}
			assert.Zero(t, f.requestsSeen(), "nothing sent, not even a token request")
		})
	}
}

func TestValidLinkSessionOnTheWire(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /link-session", jsonReply(201, `{"link_session_token":"t"}`))
	_, err := f.moneyKit().LinkSessions.Create(context.Background(), NewLinkSession("user-42", "https://app.example/oauth",
		WithInstitution("chase"), WithExistingLink("mk_1"), WithWebhook("https://hooks.example/mk"), WithLinkTags("checkout"),
		WithProducts(ProductAccountNumbers, ProductTransactions), WithOptionalProducts(ProductIdentity),
		WithCustomerEmail("jane@example.com"), WithCustomerPhone("+15555550100")))
	require.NoError(t, err)
	got := f.bodiesOf("POST /link-session")
	require.Len(t, got, 1)
	assert.JSONEq(t, `{"customer_user":{"id":"user-42","email":{"address":"jane@example.com"},"phone":{"number":"+15555550100"}},
		"redirect_uri":"https://app.example/oauth","institution_id":"chase","existing_link_id":"mk_1",
		"webhook":"https://hooks.example/mk","link_tags":["checkout"],
		"settings":{"products":{"account_numbers":{"required":true},"transactions":{"required":true},"identity":{"required":false}}}}`, got[0])
}

func TestLinkUpdatesOnTheWire(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("PATCH /links/mk_1", jsonReply(200, linkJSON))
	mk := f.moneyKit()
	for _, tc := range []struct {
		updates []LinkUpdate
		want    string
	}{
		{[]LinkUpdate{SetWebhook("https://h.example/x")}, `{"webhook":"https://h.example/x"}`},
		{[]LinkUpdate{RemoveWebhook()}, `{"webhook":null}`},
		{[]LinkUpdate{SetLinkTags("a", "b")}, `{"link_tags":["a","b"]}`},
		{[]LinkUpdate{SetLinkTags()}, `{"link_tags":[]}`},
		{[]LinkUpdate{RemoveWebhook(), SetLinkTags("a")}, `{"webhook":null,"link_tags":["a"]}`},
	} {
		_, err := mk.Links.Update(context.Background(), "mk_1", NewLinkUpdate(tc.updates...))
		require.NoError(t, err)
		bodies := f.bodiesOf("PATCH /links/mk_1")
		assert.JSONEq(t, tc.want, bodies[len(bodies)-1])
	}
	assert.Equal(t, 5, f.hitCount("PATCH /links/mk_1"))
}
