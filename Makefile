# zdcd — `make demo` shows the main job; `make test` installs what is missing and runs every test.
SHELL := /bin/bash
GO ?= go
# Debian's python3-django lives under /usr/bin/python3; the first python3 on PATH may lack Django.
export ZDCD_PYTHON ?= /usr/bin/python3
# Other Djangos for internal/django's version tests, unpacked there by test/deps.sh.
export ZDCD_EXTRA_DJANGO ?= $(or $(ZDCD_CACHE_DIR),$(HOME)/.cache/zdcd)/django
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/zdcd/zdcd/internal/version.Version=$(VERSION)
BINARY := dist/zdcd-release
SHELL_SCRIPTS := $(shell git ls-files '*.sh' bin .ci/run 2>/dev/null)

.PHONY: all deps build test lint demo bench clean

all: build

deps:
	@test/deps.sh

build:
	@mkdir -p dist
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/zdcd-release

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	@if [ -n "$(SHELL_SCRIPTS)" ]; then shellcheck -x $(SHELL_SCRIPTS); fi

test: deps lint
	$(GO) test -count=1 ./...

demo: deps build
	@$(GO) run ./test/demo -binary $(BINARY)

# Benchmarks: `check` beside `manage.py showmigrations` (see README, "Performance").
bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 10x ./test/e2e/

clean:
	rm -rf dist
