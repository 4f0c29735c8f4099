# The two commands of the README: `make run` and `make test`. Both install what they need,
# from the lock files (requirements/*.lock, exact versions with hashes; docs/dependencies.md):
# `make run` only what the service needs, `make test` the test and lint tools too.
VENV ?= .venv
PYTHON ?= python3
PIP := $(VENV)/bin/pip --disable-pip-version-check
RUN_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck-baseline bench lock

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements/runtime.lock pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --require-hashes -r requirements/runtime.lock
	$(PIP) install --quiet --no-deps -e .
	touch $@

# The dev lock holds every runtime package at the same version, plus the tools.
$(DEV_STAMP): requirements/dev.lock pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --require-hashes -r requirements/dev.lock
	$(PIP) install --quiet --no-deps -e .
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(VENV)/bin/consultbot serve

test: $(DEV_STAMP)
	$(VENV)/bin/pytest

# ruff; the floors contract (an upward import fails); mypy against its shrinking baseline.
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy | $(VENV)/bin/mypy-baseline filter

# After fixing type errors: rewrite mypy-baseline.txt (it must only ever get shorter).
typecheck-baseline: $(DEV_STAMP)
	$(VENV)/bin/mypy | $(VENV)/bin/mypy-baseline sync

bench: $(DEV_STAMP)
	for script in bench/bench_*.py; do $(VENV)/bin/python $$script || exit 1; done

# Re-resolve both lock files from pyproject.toml's ranges (pip-tools in a throwaway venv);
# `make lock UPGRADE=--upgrade` moves every package to its newest allowed version.
LOCK_VENV := /tmp/consultbot-lock-venv
LOCK_FLAGS := --quiet --strip-extras --generate-hashes --allow-unsafe --no-emit-index-url \
	--no-emit-find-links $(UPGRADE)
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet "pip-tools>=7.4,<8"
	$(LOCK_VENV)/bin/pip-compile $(LOCK_FLAGS) -o requirements/runtime.lock pyproject.toml
	$(LOCK_VENV)/bin/pip-compile $(LOCK_FLAGS) --extra dev -o requirements/dev.lock pyproject.toml
