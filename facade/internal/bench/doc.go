// Package bench holds banklink's client benchmarks (make bench,
// BENCHMARKS.md): the provider clients against hand-written net/http and
// the bare generated client, on one in-process server, and the allocation
// checks that go with them. It has no code of its own.
package bench
