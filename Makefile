# banklink developer targets. `make check` is what CI runs.

GO ?= go

.PHONY: generate spec lint-spec check fmt-check vet test test-alloc bench demo

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

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

demo:
	$(GO) run ./cmd/banklink demo
