# banklink developer targets. `make check` is what CI runs.

GO ?= go

.PHONY: generate spec lint-spec check check-redis fmt-check vet test test-alloc bench bench-fleet bench-mirror bench-sandbox demo axe screenshots

# Regenerate gen/ from api/openapi.yaml through cmd/specgen.
generate:
	$(GO) generate ./...

# Validate and lint the spec and fail if gen/ is not up to date with it.
spec:
	$(GO) run ./cmd/specgen -check

lint-spec: spec

# Every gofmt-able file must be formatted (gen/ is formatted by oapi-codegen).
fmt-check:
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

vet:
	$(GO) vet ./...

test:
	$(GO) test -race -count=1 ./...

# Allocation-count tests are built only without -race (the race detector
# changes allocation behaviour), so they run in a second pass.
test-alloc:
	$(GO) test -count=1 -run 'Alloc' ./...

check: fmt-check spec vet test test-alloc

# make check with the Redis integration tests: starts a throwaway
# redis-server on loopback (installing the Debian package if missing).
check-redis:
	.ci/with-redis $(MAKE) check

# Benchmarks (BENCHMARKS.md): facade vs generated vs hand-written net/http,
# connection reuse, token fan-in, in-process sandbox throughput, tracing
# overhead (otelbanklink) and the CLI's size with and without OpenTelemetry.
# The client comparison runs in BENCH_COUNT interleaved rounds (like -count 12, without
# running one variant's samples back to back). Raw output goes to
# $(BENCH_OUT); the summary tables are printed. About 3 minutes.
BENCH_COUNT ?= 12
BENCH_TIME ?= 300ms
BENCH_OUT ?= bench.out

bench: bench-fleet bench-mirror
	GO="$(GO)" BENCH_COUNT="$(BENCH_COUNT)" BENCH_TIME="$(BENCH_TIME)" BENCH_OUT="$(BENCH_OUT)" \
		bash internal/benchtable/bench.sh

# The shared Redis stores against the in-process ones, on a throwaway
# loopback redis-server; prints each Redis path's cost as a ratio. Then the
# fleet simulation: N = 1, 4, 16, 64 facade clients sharing a fleet against
# the sandbox for 90s of synctest time (calls, tokens fetched, 429s drawn).
bench-fleet:
	.ci/with-redis bash -c '$(GO) test -run "^$$" -bench . -benchtime $(BENCH_TIME) ./facade/redisfleet/ | tee $(BENCH_OUT).fleet | \
		awk '\''/^Benchmark/ { split($$1, p, "/"); sub(/-[0-9]+$$/, "", p[2]); ns[p[1] "/" p[2]] = $$3; if (p[2] == "memory") base[p[1]] = $$3; order[++n] = p[1] "/" p[2] } \
		END { for (i = 1; i <= n; i++) { k = order[i]; split(k, q, "/"); printf "%-40s %12.1f ns/op  %8.1fx memory\n", k, ns[k], ns[k] / base[q[1]] } }'\'''
	$(GO) test -count=1 -run '^TestFleetAgainstSandboxDrawsNo429$$' -v ./facade/redisfleet/ | grep 'fleet N='

# The mirror on SQLite and on a throwaway loopback postgres: one link's
# history as a ratio to the same sync to /dev/null, 100 links' transactions
# per second, 4 instances under a webhook storm (internal/benchtable/mirror.sh).
BENCH_MIRROR_COUNT ?= 20
bench-mirror:
	GO="$(GO)" BENCH_OUT="$(BENCH_OUT)" BENCH_MIRROR_COUNT="$(BENCH_MIRROR_COUNT)" .ci/with-postgres bash internal/benchtable/mirror.sh

# The standalone sandbox against Stoplight Prism's mock of api/openapi.yaml,
# under the same load (installs the pinned Prism with npm on first use).
bench-sandbox:
	GO="$(GO)" bash internal/loadgen/bench-sandbox.sh

demo:
	$(GO) run ./cmd/banklink demo

# axe-core (pinned, integrity-checked, through npm) for the browser tests'
# accessibility checks: facade/sandbox/testdata/axe.min.js.
axe:
	@bash internal/axe/fetch.sh

# A PNG of each step of MoneyKit Connect and Link Money's hosted UI, taken
# by the browser tests in Chromium (Debian package chromium), into
# $(SCREENSHOTS). The README shows them.
SCREENSHOTS ?= docs/screenshots
screenshots:
	rm -f $(SCREENSHOTS)/*.png
	BANKLINK_SCREENSHOTS="$(abspath $(SCREENSHOTS))" $(GO) test -count=1 \
		-run '^TestBrowserPages$$/^(InstantBank|CredentialsBankWrongThenRight|OAuthBankWithContinue|LinkMoneyPayByKeyboard)$$' ./facade/sandbox/
	@ls -l $(SCREENSHOTS)

# Longer fuzzing than the seed-corpus pass `make check` runs.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./facade/internal/transport:FuzzErrorResponse ./facade/internal/transport:FuzzRetryAfter ./facade/internal/transport:FuzzTokenResponse \
	./facade/internal/transport:FuzzRequestValidation ./internal/termsafe:FuzzString ./facade/sandbox:FuzzDifferentialValidation \
	./facade/webhook:FuzzParse ./facade/webhook:FuzzLinkMoneyHeaders
.PHONY: fuzz
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; done
