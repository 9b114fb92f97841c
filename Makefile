# Conveniences over the go command. `make test` is what CI runs.
GO       ?= go
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := docker-credential-pat

export CGO_ENABLED ?= 0

# bash for pipefail: `make test` pipes go test through testsum.
SHELL := /bin/bash

.PHONY: all build install deps test unit fuzz cross bench e2e vet fmt clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/$(BIN) ./cmd/$(BIN)

install: build
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 bin/$(BIN) $(DESTDIR)$(BINDIR)/$(BIN)

# What the tests drive (.ci/install-deps): the pinned Go clients in
# .cache/tools/bin, and the Debian packages with apt when root (or
# password-less sudo); otherwise it names the command and those tests skip.
deps:
	@bash .ci/install-deps

# Everything, including the real keychains, registry and clients; at the
# end, how many tests passed, failed and were skipped, and what each group
# of skipped tests lacks (cmd/internal/testsum).
test: vet deps
	@$(GO) build -o .cache/tools/bin/testsum ./cmd/internal/testsum
	@set -o pipefail; $(GO) test -count=1 -json ./... | .cache/tools/bin/testsum -debs .cache/deps-missing

unit:
	$(GO) test -count=1 -short ./...

# Each fuzz target for a short while, starting from its corpus in testdata/fuzz.
FUZZTIME ?= 20s
# package:target, each target beside its code.
FUZZ_TARGETS := credstore/registryurl:FuzzCanonical credstore/protocol:FuzzServe credstore:FuzzReadIndex \
	credstore:FuzzScanListEntry credstore/token:FuzzClassify
# A run that fails only with "context deadline exceeded" and writes no
# failing input lost Go's own race at the end of -fuzztime (the deadline's
# Done closes before the workers' child context is cancelled, so the
# coordinator reports its own timeout): that target runs once more. A real
# finding ("Failing input written to ...") fails at once.
fuzz:
	@mkdir -p .cache; for pf in $(FUZZ_TARGETS); do \
	  p=$${pf%%:*}; f=$${pf#*:}; \
	  for try in 1 2; do \
	    echo "== $$p $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=3s ./$$p 2>&1 | tee .cache/fuzz.log; \
	    [ $${PIPESTATUS[0]} = 0 ] && break; \
	    if [ $$try = 1 ] && ! grep -q 'Failing input written to' .cache/fuzz.log && \
	       grep -qx '    context deadline exceeded' .cache/fuzz.log; then \
	      echo "fuzz: $$f stopped on Go's end-of-fuzztime race, no failing input; once more" >&2; continue; \
	    fi; \
	    exit 1; \
	  done; \
	done

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed" >&2; exit 1; }
	$(GO) vet ./...
	@# The code for the other systems, tests included, must at least compile
	@# and vet here.
	@for os in darwin windows freebsd; do \
	  GOOS=$$os $(GO) build ./... && GOOS=$$os $(GO) vet ./... || { echo "vet: GOOS=$$os failed" >&2; exit 1; }; \
	done

cross:
	@for os in linux darwin windows; do for arch in amd64 arm64; do \
	  ext=; [ $$os = windows ] && ext=.exe; \
	  echo "$$os/$$arch"; \
	  GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/$(BIN)-$$os-$$arch$$ext ./cmd/$(BIN) || exit 1; \
	done; done

# End-to-end: real clients (pinned, installed by make deps) against a real
# registry on loopback, through the freshly built helper.
e2e: deps
	$(GO) test -count=1 -run 'TestE2E' ./cmd/$(BIN)/

# Whole-process timings against the reference helpers; writes BENCHMARKS.md
# (under 10 minutes on 2 cores; needs what `make test` needs, plus pass,
# gnupg and libsecret-1-dev to build docker-credential-secretservice).
# The side-by-side benchmark (BENCHMARKS.md). The reference helpers need cgo
# and libsecret, pass and GnuPG: installed here when we are root with apt.
BENCH_DEBS := gnome-keyring dbus libsecret-1-dev gcc pkg-config pass gnupg time
bench:
	@if ! { pkg-config --exists libsecret-1 && test -x /usr/bin/time && \
	        ( for c in pass gpg gcc gnome-keyring-daemon dbus-daemon; do command -v $$c >/dev/null || exit 1; done ); }; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BENCH_DEBS); \
	  else \
	    echo "make bench needs: sudo apt-get install -y $(BENCH_DEBS)" >&2; exit 1; \
	  fi; \
	fi
	$(GO) run ./cmd/internal/bench

clean:
	rm -rf bin dist
