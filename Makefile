# swift-messaging — the commands in the README.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

SWIFT ?= swift
# System libraries the package links (SQLite for persistence, libsodium for E2EE and auth).
APT_PACKAGES := libsqlite3-dev libsodium-dev pkg-config

.PHONY: all deps build test bench clean

all: build

deps:
	@bash scripts/ensure-packages.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build

## Builds once and runs every test; ends with "N passed, N failed".
## The interoperability tests (PyJWT, PyNaCl) need the throwaway venv that interop-venv.sh makes.
test: deps
	@bash scripts/interop-venv.sh
	@echo "==> building (first build from a clean clone takes a few minutes)"
	$(SWIFT) build --build-tests
	@echo "==> running tests"
	$(SWIFT) test --skip-build 2>&1 | bash scripts/test-summary.sh

## Benchmarks (release build, several minutes): pagination and send against raw SQLite.
bench: deps
	cd Benchmarks && $(SWIFT) package benchmark
	@if [ -x Benchmarks/report.sh ]; then bash Benchmarks/report.sh; fi

clean:
	rm -rf .build Benchmarks/.build
