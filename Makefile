# Lerar: `make demo` and `make test` work on a fresh Debian/Ubuntu machine with the Swift toolchain.
SWIFT ?= swift

.PHONY: deps deps-test build release test demo bench clean

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test

demo: release
	@scripts/demo.sh

bench: release
	@scripts/bench.sh

clean:
	rm -rf .build demo-output bench-output
