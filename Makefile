# Lerar: `make demo` and `make test` work on a fresh Debian/Ubuntu machine with the Swift toolchain.
SWIFT ?= swift

.PHONY: deps deps-test build release test test-slurm bench-slurm demo bench bench-siril bench-scaling bench-cores bench-cores-bundle bench-defaults bench-finish fuzz clean

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

# `lerar run --executor slurm` on a real Slurm: a one-node cluster on loopback (munge, slurmctld, slurmd, installed
# when missing), started for the tests and stopped after them (scripts/slurm-loopback.sh).
test-slurm: deps-test
	$(SWIFT) build --build-tests
	@scripts/slurm-loopback.sh run $(SWIFT) test --skip-build --filter SlurmRunTests

# The cluster path against a local run on the loopback Slurm, and the plan of a 2,000-light season: docs/cluster-table.md.
bench-slurm: release
	@scripts/install-deps.sh --bench
	@scripts/bench-slurm.sh

demo: release
	@scripts/install-deps.sh --demo
	@scripts/demo.sh

bench: release
	@scripts/install-deps.sh --bench
	@scripts/bench.sh
	@scripts/bench-integration.sh
	@scripts/bench-registration.sh
	@scripts/bench-stages.sh
	@scripts/bench-pipeline.sh
	@scripts/bench-osc.sh

bench-siril: release
	@scripts/install-deps.sh --siril
	@SIRIL=1 scripts/bench-integration.sh
	@SIRIL=1 scripts/bench-registration.sh
	@SIRIL=1 scripts/bench-pipeline.sh
	@SIRIL=1 scripts/bench-osc.sh
	@scripts/bench-finish.sh
	@CASES=2048:24 REPEATS=3 OUT=bench-output/siril-2048-24.md scripts/bench-scaling.sh

# Lerar and Siril on hard sessions of growing size (CASES="2048:24 2048:48 2048:96 4096:24", REPEATS=3): docs/performance-table.md.
bench-scaling: release
	@scripts/install-deps.sh --siril
	@scripts/bench-scaling.sh

# `lerar run` on 2, 4, 8 and 16 cores of this machine (taskset; CASES="2048:24 4096:24", CORES): docs/performance-cores.md.
bench-cores: release
	@scripts/bench-cores.sh

# The same for a lent machine without Swift: bench-output/lerar-bundle.tar.gz (static build and its libraries).
bench-cores-bundle:
	@mkdir -p bench-output && scripts/bench-cores.sh --bundle bench-output/lerar-bundle.tar.gz

# The integration defaults' measurements: each weighting and rejection on hard sessions of 12–96 lights, scored
# against the simulator's truth (CASES, CHOICES): docs/defaults-table.md.
bench-defaults: release
	@scripts/bench-defaults.sh

# The finish on four SIZE² masters (default 4096) beside Siril 1.0.6's equivalents: docs/finish-table.md.
bench-finish: release
	@scripts/install-deps.sh --siril
	@scripts/bench-finish.sh

# Fuzzes the FITS and XISF readers with libFuzzer + AddressSanitizer: FUZZ_SECONDS per target (default 300).
fuzz: deps
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),300)

clean:
	rm -rf .build .build-fuzz demo-output bench-output
