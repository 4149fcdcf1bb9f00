# urllib3-rs: the two commands a fresh machine needs are `make demo` and `make test`.
CARGO ?= cargo

.PHONY: all build demo test test-rust lint fmt clean

all: build

build:
	$(CARGO) build --workspace --all-targets

## demo: start the embedded test server and run the user guide's requests against it.
demo:
	$(CARGO) run --release -p examples --bin demo

## test: build everything and run every test suite.
test: test-rust

test-rust:
	$(CARGO) test --workspace

## lint: formatting and clippy, as CI checks them.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
