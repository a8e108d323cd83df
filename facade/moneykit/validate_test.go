package moneykit

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/internal/testkit"
)

func TestValidationRefusesBeforeSending(t *testing.T) {
	ctx := context.Background()
	testkit.CheckRefusals(t, New, []testkit.Refusal[*Client]{
		{Name: "link session: short user id and query in redirect", Call: func(mk *Client) error {
			return testkit.Drop(mk.LinkSessions.Create(ctx, NewLinkSession("abc", "https://app.example/oauth?x=1")))
		}, Rules: []string{"customer_user", "redirect_uri"}},
		{Name: "link session: nil", Call: func(mk *Client) error { return testkit.Drop(mk.LinkSessions.Create(ctx, nil)) }, Rules: []string{"required"}},
		{Name: "link session: bad tag", Call: func(mk *Client) error {
			return testkit.Drop(mk.LinkSessions.Create(ctx, NewLinkSession("user-42", "https://app.example/oauth", WithLinkTags("-starts-with-dash"))))
		}, Rules: []string{"link_tags"}},
		{Name: "get link: empty id", Call: func(mk *Client) error { return testkit.Drop(mk.Links.Get(ctx, "")) }, Rules: []string{"id", "required"}},
		{Name: "delete link: empty id", Call: func(mk *Client) error { return mk.Links.Delete(ctx, "") }, Rules: []string{"id"}},
		{Name: "update link: no changes", Call: func(mk *Client) error { return testkit.Drop(mk.Links.Update(ctx, "mk_1", NewLinkUpdate())) }, Rules: []string{"required"}},
		{Name: "user links: short id", Call: func(mk *Client) error { return testkit.Drop(mk.Users.Links(ctx, "ab")) }, Rules: []string{"id"}},
		{Name: "exchange: empty token", Call: func(mk *Client) error { return testkit.Drop(mk.LinkSessions.Exchange(ctx, "")) }, Rules: []string{"exchangeable_token"}},
	})
}

func TestValidLinkSessionOnTheWire(t *testing.T) {
	f := newFakeAPI(t)
	f.Handle("POST /link-session", testkit.JSONReply(201, `{"link_session_token":"t"}`))
	_, err := f.Client().LinkSessions.Create(context.Background(), NewLinkSession("user-42", "https://app.example/oauth",
		WithInstitution("chase"), WithExistingLink("mk_1"), WithWebhook("https://hooks.example/mk"), WithLinkTags("checkout"),
		WithProducts(ProductAccountNumbers, ProductTransactions), WithOptionalProducts(ProductIdentity),
		WithCustomerEmail("jane@example.com"), WithCustomerPhone("+15555550100")))
	require.NoError(t, err)
	got := f.BodiesOf("POST /link-session")
	require.Len(t, got, 1)
	assert.JSONEq(t, `{"customer_user":{"id":"user-42","email":{"address":"jane@example.com"},"phone":{"number":"+15555550100"}},
		"redirect_uri":"https://app.example/oauth","institution_id":"chase","existing_link_id":"mk_1",
		"webhook":"https://hooks.example/mk","link_tags":["checkout"],
		"settings":{"products":{"account_numbers":{"required":true},"transactions":{"required":true},"identity":{"required":false}}}}`, got[0])
}

func TestLinkUpdatesOnTheWire(t *testing.T) {
	f := newFakeAPI(t)
	f.Handle("PATCH /links/mk_1", testkit.JSONReply(200, testkit.LinkJSON))
	mk := f.Client()
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
		bodies := f.BodiesOf("PATCH /links/mk_1")
		assert.JSONEq(t, tc.want, bodies[len(bodies)-1])
	}
	assert.Equal(t, 5, f.HitCount("PATCH /links/mk_1"))
}
