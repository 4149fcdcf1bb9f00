# urllib3-rs: the two commands a fresh machine needs are `make demo` and `make test`.
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUITE := ../shared/harness/urllib3-suite.sh
WHEELS := target/wheels
# What a wheel may weigh at most, in bytes (8 MiB).
WHEEL_MAX := 8388608

.PHONY: all build demo test test-rust test-interop test-python test-wheel wheel suite soak lint fmt clean venv python bench instructions fuzz

all: build

build:
	$(CARGO) build --workspace --all-targets

## demo: start the embedded test server and run the user guide's requests against it,
## with the Rust API and then through the Python package.
demo: venv
	$(CARGO) run --release -p examples --bin demo
	$(CARGO) build --release -p testserver --bin testserver
	$(VENV)/bin/maturin develop -q --release
	$(PY) examples/demo.py

## test: build everything and run every test suite: Rust, interop (squid, dante and nginx with
## HTTP/2 from Debian), pytest, the wheel on each CPython 3.10-3.13 found, and urllib3's own suite.
test: test-rust test-interop test-python test-wheel suite

test-rust:
	$(CARGO) test --workspace

test-interop:
	tests/interop/run-interop.sh

# The virtualenv holds our package (built by maturin) and what the tests need from PyPI;
# re-run when this Makefile changes what that is.
$(VENV)/.installed: Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.5,<2" pytest
	# requests is tested on top of our package: without its urllib3 dependency.
	$(PY) -m pip install -q --no-deps requests
	$(PY) -m pip install -q charset-normalizer idna certifi pyopenssl cryptography
	# Downstream clients run unchanged on our package (tests/test_boto3.py, moto's S3 server;
	# tests/test_elasticsearch.py). Their dependencies pull the real urllib3 in, which
	# `make python` then replaces with ours.
	$(PY) -m pip install -q boto3 "moto[s3,server]" elasticsearch responses
	touch $@

venv: $(VENV)/.installed

python: venv
	$(VENV)/bin/maturin develop -q
	$(CARGO) build -p testserver --bin testserver

test-python: python
	$(PY) -m pytest -q tests

## wheel: the abi3 wheel for CPython >= 3.10 in target/wheels (release, stripped). maturin
## audits the extension's glibc symbols and tags it with the manylinux policy they meet; the
## wheel's name and size are printed, and a wheel over 8 MiB fails.
wheel: venv
	rm -rf $(WHEELS)
	$(VENV)/bin/maturin build -q --release --strip --out $(WHEELS)
	@$(PY) -c 'import pathlib, sys; [w] = pathlib.Path(sys.argv[1]).glob("urllib3-*.whl"); size = w.stat().st_size; print(f"{w.name}: {size / 2**20:.1f} MiB"); sys.exit(f"over {int(sys.argv[2]) >> 20} MiB" if size > int(sys.argv[2]) else 0)' $(WHEELS) $(WHEEL_MAX)

## test-wheel: that wheel installed into a fresh virtualenv of every CPython 3.10-3.13 found,
## with requests from PyPI; the user guide's and requests' tests run in each.
test-wheel: wheel
	$(CARGO) build -p testserver --bin testserver
	$(PY) tests/wheel_matrix.py $(WHEELS)

## suite: urllib3's own test suite against our package, with the fast lane on and off; the
## passed count may only go up, and no test may pass only without the lane.
suite: python
	$(PY) tests/suite_lanes.py $(SUITE) $(PY) tests/urllib3-suite.min

## bench: every client on every workload, written to bench/results.md (bench/run.py says how;
## REPS=3 repetitions, QUICK=1 for a smoke test). Not a test: CI does not run it.
bench: venv
	cd bench/rust && $(CARGO) build --release
	$(VENV)/bin/maturin develop -q --release
	$(PYTHON) bench/run.py

## instructions: what one request costs through the Python package in instructions, counted
## by callgrind (bench/instructions.py says why): for comparing two builds of the request path.
instructions: venv
	cd bench/rust && $(CARGO) build --release
	$(VENV)/bin/maturin develop -q --release
	$(PYTHON) bench/instructions.py

## soak: 200,000 requests from Rust and through the Python package, printing open file
## descriptors and resident memory before and after (not part of `make test`).
soak: venv
	$(CARGO) build --release -p testserver --bin testserver
	$(CARGO) run -q --release -p examples --bin soak
	$(VENV)/bin/maturin develop -q --release
	$(PY) examples/soak.py

## fuzz: the core's libFuzzer targets (crates/urllib3/fuzz), FUZZ_SECONDS each (default 60),
## from their committed seeds; needs cargo-fuzz (installed if missing). Not part of `make test`.
fuzz:
	crates/urllib3/fuzz/run.sh

# The linters' virtualenv: mypy, and urllib3 2.8.0 itself, against which the typed user-guide
# sample is checked too (ours must type-check the same code the same way).
LINT_VENV := .venv-lint
$(LINT_VENV)/.installed: Makefile
	test -x $(LINT_VENV)/bin/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install -q --upgrade pip
	$(LINT_VENV)/bin/python -m pip install -q "mypy==2.4.1" "urllib3==2.8.0" pyopenssl cryptography idna
	touch $@

## lint: formatting, clippy, the crate's docs and package, no function body of urllib3's own in
## the Python package (../shared/tools/provenance.py: none copied, at most 10 derived), and
## `mypy --strict` on the package and on tests/typing (against urllib3 2.8.0 and ours).
lint: $(LINT_VENV)/.installed
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -q --no-deps -p urllib3
	$(CARGO) package -q -p urllib3 --allow-dirty
	$(PYTHON) ../shared/tools/provenance.py python/urllib3 --max-derived 10
	$(LINT_VENV)/bin/mypy --strict --cache-dir target/mypy/ours python/urllib3
	$(LINT_VENV)/bin/mypy --strict --cache-dir target/mypy/upstream tests/typing
	MYPYPATH=python $(LINT_VENV)/bin/mypy --strict --cache-dir target/mypy/ours tests/typing

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(VENV) $(LINT_VENV)
