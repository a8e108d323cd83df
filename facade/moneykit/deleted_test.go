package moneykit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// A deleted link answers Get with 200 and state deleted (seed 002), so the
// check that matches is LinkDeleted, not errors.Is(err, ErrLinkDeleted) alone.
func TestLinkDeletedMatchesBothAnswers(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.Start(t)
	creds := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithCredentials(creds.ClientID, creds.ClientSecret), facade.WithBaseURL(creds.BaseURL))
	require.NoError(t, err)
	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-deleted", "https://app.example/oauth"))
	require.NoError(t, err)
	exch, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
	require.NoError(t, err)
	res, err := mk.LinkSessions.Exchange(ctx, exch)
	require.NoError(t, err)
	id := res.Link.LinkId

	link, err := mk.Links.Get(ctx, id)
	require.NoError(t, err)
	assert.False(t, moneykit.LinkDeleted(link, err), "a connected link is not deleted")

	require.NoError(t, mk.Links.Delete(ctx, id))
	link, err = mk.Links.Get(ctx, id)
	require.NoError(t, err, "a recently deleted link answers 200")
	assert.Equal(t, moneykit.PublicLinkStateDeleted, link.State)
	assert.False(t, errors.Is(err, facade.ErrLinkDeleted), "the 410 sentinel alone never matches this answer")
	assert.True(t, moneykit.LinkDeleted(link, err))

	_, err = mk.Links.Update(ctx, id, moneykit.NewLinkUpdate(moneykit.SetWebhook("https://app.example/hook")))
	require.ErrorIs(t, err, facade.ErrLinkDeleted, "updating a deleted link answers 410")
	assert.True(t, moneykit.LinkDeleted(nil, err))

	_, err = mk.Links.Get(ctx, "mk_doesNotExist000000000")
	require.ErrorIs(t, err, facade.ErrLinkNotFound)
	assert.False(t, moneykit.LinkDeleted(nil, err), "404 is not deleted")
}
