# zmesh. `make test` is the one test command: it installs what the tests
# need (libzmq with draft sockets built from Debian's source package into a
# cache outside the repo, Debian's stock libzmq5 and pyzmq from apt for the
# classic types, the S3 servers, Debian's chromium for the status page),
# then runs go vet and the whole suite under
# the race detector, interop and S3 tests included.

SHELL        := /bin/bash
GO           ?= go
ZMESH_CACHE  ?= $(HOME)/.cache/zmesh
FUZZTIME     ?= 60s
export ZMESH_CACHE
export ZMESH_LIBZMQ_PREFIX ?= $(ZMESH_CACHE)/libzmq-drafts

.PHONY: test deps deps-libzmq deps-classic deps-s3 deps-chromium vet fmt-check bench fuzz

# The test binaries are built in parallel, then run one package at a time:
# the interop, fault and S3 suites start real peers and servers, and on a
# 2-core machine several race-detector binaries at once mostly wait on each
# other. No test asserts a rate or a ratio (those are benchmarks), so the
# order changes how long the run takes, not whether it passes.
test: deps vet
	$(GO) test -race -count=1 -run '^$$' ./... >/dev/null
	$(GO) test -race -count=1 -p 1 -timeout 25m ./...

deps: deps-libzmq deps-classic deps-s3 deps-chromium

deps-libzmq:
	@bash scripts/install-libzmq.sh

# Stock peers for the classic socket types: Debian's libzmq5 (no drafts)
# and pyzmq for /usr/bin/python3, from apt.
deps-classic:
	@bash scripts/install-classic-peers.sh

# MinIO and versitygw, the real S3 servers the S3 tests run against.
deps-s3:
	@bash scripts/install-s3.sh

# Debian's chromium, driven headless by the status page's test (chromedp).
deps-chromium:
	@bash scripts/install-chromium.sh

vet: fmt-check
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Every fuzz target for FUZZTIME each (make test runs their seed corpora).
fuzz:
	@FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

# Benchmarks with allocation counts; compare runs with benchstat.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.out
