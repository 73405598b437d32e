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
# actionlint checks .github/workflows (and the scripts in them, with shellcheck). Built once from the
# Go module proxy at a pinned version and kept beside the test caches.
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(or $(ZDCD_CACHE_DIR),$(HOME)/.cache/zdcd)/bin/actionlint-$(ACTIONLINT_VERSION)
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(or $(ZDCD_CACHE_DIR),$(HOME)/.cache/zdcd)/bin/staticcheck-$(STATICCHECK_VERSION)

.PHONY: all deps build test lint demo bench bench-downtime dist fuzz clean

all: build

deps:
	@test/deps.sh

build:
	@mkdir -p dist
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/zdcd-release

lint: $(ACTIONLINT) $(STATICCHECK)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@if [ -n "$(SHELL_SCRIPTS)" ]; then shellcheck -x $(SHELL_SCRIPTS); fi
	$(ACTIONLINT) $$(git ls-files '.github/workflows/*.yml' '.github/workflows/*.yaml')

$(STATICCHECK):
	@mkdir -p $(dir $@)
	@tmp=$$(mktemp -d) && GOBIN=$$tmp GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) && \
	  mv $$tmp/staticcheck $@ && rm -rf $$tmp

$(ACTIONLINT):
	@mkdir -p $(dir $@)
	@tmp=$$(mktemp -d) && GOBIN=$$tmp GOFLAGS= $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) && \
	  mv $$tmp/actionlint $@ && rm -rf $$tmp

test: deps lint
	$(GO) test -count=1 -timeout 60m ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=2000x

# Fuzz targets (seed corpora under testdata/fuzz run with every `go test`). `make test` gives each
# a short run by iteration count; `make fuzz FUZZTIME=5m` searches longer.
FUZZ_TARGETS := internal/sqlparse:FuzzParse internal/analysis/rules:FuzzRules \
	internal/config:FuzzParseDatabaseURL internal/config:FuzzParseAllowAndWindow \
	internal/django:FuzzDecodePlan internal/herokufake:FuzzParseRange
FUZZTIME ?= 30s
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*}; \
	done

demo: deps build
	@$(GO) run ./test/demo -binary $(BINARY)

# Benchmarks: `check` beside `manage.py showmigrations` (see README, "Performance").
bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 10x ./test/e2e/

# What the old code's users feel during a release, plain migrate beside zdcd (docs/downtime.md):
# about 6 minutes; writes docs/downtime.md, docs/downtime/results.csv and a chart per scenario.
bench-downtime: deps
	$(GO) run ./bench/downtime -rows 2000000 -out docs/downtime

# Release archives for the buildpack (docs/buildpack.md): a static zdcd-release per architecture
# (cgo for pg_query, glibc linked in, so one binary runs on heroku-22 and heroku-24), packed by
# buildpack/dist.sh as bin/compile expects, and dist/release/SHA256SUMS. Not part of `make test`.
# arm64 needs a cross C compiler: apt-get install gcc-aarch64-linux-gnu.
DIST_DIR := dist/release
DIST_VERSION ?= $(patsubst v%,%,$(VERSION))
DIST_ARCHES ?= amd64 arm64
HOST_ARCH := $(shell uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
CC_amd64 ?= $(if $(filter amd64,$(HOST_ARCH)),gcc,x86_64-linux-gnu-gcc)
CC_arm64 ?= $(if $(filter arm64,$(HOST_ARCH)),gcc,aarch64-linux-gnu-gcc)
DIST_LDFLAGS := $(LDFLAGS) -s -w -linkmode external -extldflags -static

dist:
	@rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)
	@set -euo pipefail; for arch in $(DIST_ARCHES); do \
	  cc=$$(case $$arch in amd64) echo '$(CC_amd64)';; arm64) echo '$(CC_arm64)';; *) echo "unknown";; esac); \
	  if ! command -v "$$cc" >/dev/null; then \
	    echo "make dist: no C compiler for linux/$$arch ($$cc): pg_query needs cgo." >&2; \
	    echo "  Install it (Debian/Ubuntu: apt-get install gcc-aarch64-linux-gnu for arm64, gcc-x86-64-linux-gnu for amd64)," >&2; \
	    echo "  or build one architecture: make dist DIST_ARCHES=$(HOST_ARCH)" >&2; \
	    exit 1; \
	  fi; \
	  out=$(DIST_DIR)/linux-$$arch/zdcd-release; \
	  echo "-----> linux/$$arch with CC=$$cc"; \
	  CGO_ENABLED=1 GOOS=linux GOARCH=$$arch CC=$$cc \
	    $(GO) build -trimpath -tags netgo,osusergo -ldflags '$(DIST_LDFLAGS)' -o $$out ./cmd/zdcd-release; \
	  if ! file $$out | grep -q 'statically linked'; then \
	    echo "make dist: $$out is not statically linked: $$(file -b $$out)" >&2; exit 1; \
	  fi; \
	  if [ $$arch = $(HOST_ARCH) ]; then echo "       $$($$out version)"; fi; \
	  echo "       $$(buildpack/dist.sh archive $$out $(DIST_VERSION) $$arch $(DIST_DIR))"; \
	done
	@buildpack/dist.sh sums $(DIST_DIR) && echo "-----> $(DIST_DIR)/SHA256SUMS" && sed 's/^/       /' $(DIST_DIR)/SHA256SUMS

clean:
	rm -rf dist
