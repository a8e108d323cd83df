// Package moneykit is banklink's client for MoneyKit: the company creates
// a link session, the end user connects a bank in MoneyKit Connect, and
// the company exchanges the token for a link, then reads what the link is
// for (accounts and balances, account numbers, identity, transactions,
// investments), refreshes, updates and deletes it.
//
//	mk, err := moneykit.New(facade.WithCredentials(id, secret))
//	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth",
//		moneykit.WithProducts(moneykit.ProductTransactions)))
//	// ... the front end opens Connect with sess.LinkSessionToken and hands back a token ...
//	res, err := mk.LinkSessions.Exchange(ctx, exchangeableToken)
//	link, err := mk.Links.Get(ctx, res.Link.LinkId) // moneykit.LinkDeleted(link, err): state deleted or 410
//
// The services (Client's fields) have one method per operation, each
// taking trailing facade.CallOptions. Requests and responses are MoneyKit's
// data model as api/openapi.yaml describes it, under its names
// (CreateLinkSessionRequest, LinkCommon, TransactionResponse, …), with
// shorter names for the ones used most (LinkSessionRequest, Link,
// Transaction, Account) and Go-style enum constants (ProductTransactions,
// PublicLinkStateDeleted). The policies every call follows (retries and
// their safety classes, rate-limit scopes and cool-downs, tokens,
// validation before sending, errors, logging) are written in package
// facade's documentation; webhooks are verified by package facade/webhook.
//
// # Lists, pagers and the transactions sync
//
// Each paged list has a one-page method (Transactions.List, Links.List,
// Institutions.List, ...) and a lazy pager: CursorPager for MoneyKit's two
// cursor styles (next_cursor on GET /links, cursors.next on GET
// /institutions), PagePager for page/size lists. All(ctx) yields items and
// fetches a page only when the previous one is used up; breaking out of the
// loop fetches nothing more, and a later All resumes at the next unyielded
// item. The first error is yielded once and kept in Err. A cursor the
// provider repeats stops the pager with ErrRepeatedCursor instead of
// looping. A page/size pager stops at the reported total or at the first
// short page. Pagers copy the parameters they are given.
//
// Transactions.Sync(linkID, cursor) is the resumable sync loop over GET
// /links/{id}/transactions/sync: one SyncBatch (created, updated, removed)
// per call, 500 changes at most (MoneyKit's maximum), until has_more is
// false. Store each batch's Cursor with its effects; syncing again from the
// stored cursor has no gap and no duplicate.
//
// Pending transactions come only in Created, never in Updated or Removed.
// Each refresh replaces a link's pending transactions wholesale: a pending
// transaction that posts comes back as a new posted transaction in Created,
// with its own id, and the pending one is simply never reported again. So
// when a sync brings any created transactions, first delete every pending
// transaction you stored, then apply the batches: the pending transactions
// that sync reports are the link's current ones. A sync that brings no
// created transactions (nothing new, or only updates) leaves your stored
// pending transactions as they are.
package moneykit
