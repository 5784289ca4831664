# nimbus — see README.md.
GO ?= go

.PHONY: run build test test-unit fuzz bench vet

## run: start a region on the defaults (./nimbus-data, http://127.0.0.1:4566)
run:
	$(GO) run ./cmd/nimbus server

## build: build bin/nimbus
build:
	$(GO) build -o bin/nimbus ./cmd/nimbus

## test: everything — installs what is missing (under CI, or with NIMBUS_INSTALL=1),
## starts a throwaway PostgreSQL, runs vet, unit, fuzz-seed and end-to-end tests.
test:
	./scripts/test.sh

## test-unit: quick tests without Postgres or the e2e suite
test-unit:
	$(GO) test -short ./internal/...

## fuzz: run every fuzz target for FUZZTIME (default 30s) each
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

## bench: store, protocol, gateway and VPC data-plane benchmarks
bench:
	./scripts/bench.sh

vet:
	$(GO) vet ./...
