# causeway: the two front-door commands are `make experiments` and `make test`.
# Both install what is missing first (libtorch into .deps/), then build.

SHELL := bash
CARGO ?= cargo
JOBS ?=
export ATEN_CPU_CAPABILITY ?= avx2

.PHONY: setup build experiments test bench reproduce datasets clean-cache

setup: .deps/libtorch/.complete

.deps/libtorch/.complete: scripts/setup-libtorch.sh scripts/libtorch.lock
	bash scripts/setup-libtorch.sh

build: setup
	$(CARGO) build --release --locked

experiments: build
	./target/release/causeway run experiments $(if $(JOBS),--jobs $(JOBS))

test: setup
	INSTA_UPDATE=no $(CARGO) test --locked

clean-cache:
	rm -rf .cache
