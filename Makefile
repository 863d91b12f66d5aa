# Wagate's commands. The two a new user needs: `make run` (the server) and `make test` (the suite).
# Each brings up what it needs: Postgres and Redis (scripts/ensure-services), the front-end assets
# (npm ci + scripts/build-static), Debian packages the tests use (chromium, redis-server).
SHELL := bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_FLAGS ?= -race -count=1 -timeout 20m
ASSETS := static/dist/.built

.PHONY: run test build release migrate generate check-generated lint bench assets test-deps clean clean-test-db

## run: start wagate serve with every role on http://localhost:8080 (writes a random SECRET_KEY into .env)
run: $(ASSETS)
	scripts/with-env --secret $(GO) run -ldflags "$(LDFLAGS)" ./cmd/wagate serve

## test: the whole suite on real Postgres, Redis and chromium
test: $(ASSETS) test-deps
	scripts/with-env $(GO) test $(TEST_FLAGS) ./...

## migrate: apply database migrations
migrate:
	scripts/with-env $(GO) run ./cmd/wagate migrate

## build: bin/wagate for this machine (assets embedded)
build: $(ASSETS)
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o bin/wagate ./cmd/wagate

## release: static binaries for linux/amd64, linux/arm64, windows/amd64, darwin/arm64 in dist/
release: $(ASSETS)
	@set -e; for target in linux/amd64 linux/arm64 windows/amd64 darwin/arm64; do \
	  os=$${target%/*}; arch=$${target#*/}; ext=; [[ $$os == windows ]] && ext=.exe; \
	  echo "building dist/wagate-$$os-$$arch$$ext"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/wagate-$$os-$$arch$$ext ./cmd/wagate; \
	done

## generate: regenerate sqlc and templ output (committed)
generate:
	$(GO) tool sqlc generate
	$(GO) tool templ generate -path views

## check-generated: fail when sqlc or templ output is stale
check-generated:
	$(GO) tool sqlc diff
	@scratch=$$(mktemp -d); trap 'rm -rf $$scratch' EXIT; cp -r views $$scratch/views; \
	$(GO) tool templ generate -path $$scratch/views >/dev/null 2>&1; \
	if ! diff -r views $$scratch/views >/dev/null; then \
	  echo "templ output under views/ is stale: run make generate and commit"; diff -r views $$scratch/views | head -20; exit 1; fi
	@echo "generated code is fresh"

## lint: go vet, staticcheck (pinned, outside go.mod), go mod tidy leaves no diff, gofmt
lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) mod tidy -diff
	@bad=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); if [[ -n $$bad ]]; then echo "gofmt: $$bad"; exit 1; fi

## bench: benchmarks, figures and machine in docs/BENCHMARKS.md; narrow with BENCH=<regexp> PKGS=<packages> BENCH_COUNT=<runs>
BENCH ?= .
PKGS ?= ./...
BENCH_COUNT ?= 5
bench: $(ASSETS)
	scripts/with-env $(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(BENCH_COUNT) -timeout 30m $(PKGS)

## assets: front-end packages from npm (lockfile) built into static/dist
assets: $(ASSETS)

$(ASSETS): package.json package-lock.json scripts/build-static $(shell find static/src -type f 2>/dev/null)
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js with npm (see README prerequisites)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	scripts/build-static
	@touch $@

## test-deps: Debian packages the tests drive (chromium for browser tests, redis-server for private servers)
test-deps:
	scripts/ensure-packages chromium redis-server

## clean-test-db: drop the test template databases (one per migration set) and leftover test databases
clean-test-db:
	scripts/with-env bash -c 'for db in $$(psql "$${DATABASE_URL%/*}/postgres" -Atc "SELECT datname FROM pg_database WHERE datname LIKE '"'"'wagate\_t%'"'"'"); do psql "$${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE \"$$db\" WITH (FORCE)"; done'

clean:
	rm -rf bin dist static/dist/css static/dist/js static/dist/img $(ASSETS) artifacts
