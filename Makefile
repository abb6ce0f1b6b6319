# wsbridge: `make run` (local stack + daemon + sample findings) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK := $(BIN)/python -m devstack
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock pyproject.toml sandbox/pyproject.toml tests/plugins/probe/pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: run test venv lock lint typecheck unit stack-up stack-down docs clean bench test-reliability

venv: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 is required"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall -e . -e sandbox -e tests/plugins/probe
	@rm -f $(VENV)/.installed-*; touch $@

lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile --quiet --python-version 3.11 --universal --generate-hashes pyproject.toml -o requirements.lock
	$(BIN)/uv pip compile --quiet --python-version 3.11 --universal --generate-hashes --extra dev pyproject.toml -o requirements-dev.lock

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check wsbridge consumer handlers sandbox devstack tests bench

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest -q tests/unit

stack-up: venv
	$(STACK) up

stack-down: venv
	$(STACK) down

run: venv
	$(STACK) run

test: venv lint typecheck
	$(STACK) test -- $(BIN)/pytest -q -p no:cacheprovider tests

# The fault-injection suite at full size (`make test` runs it reduced).
test-reliability: venv
	$(STACK) test -- env WSBRIDGE_RELIABILITY_SCALE=full $(BIN)/pytest -q -p no:cacheprovider tests/reliability

# The benchmark figures into bench/results/ and docs/benchmarks.md (BENCH_ARGS, e.g. --runs 5).
BENCH_TOOLS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/wsbridge/bench-tools
bench: venv
	@test -x $(BENCH_TOOLS)/bin/py-spy || { $(PYTHON) -m venv $(BENCH_TOOLS) && $(BENCH_TOOLS)/bin/pip install --quiet py-spy==0.4.3; }
	$(STACK) test -- $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .stack .mypy_cache .ruff_cache .pytest_cache

docs: venv
	$(BIN)/python tests/support/settings_table.py
