# The two commands of the README: `make run` and `make test`. Both install what they need.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck-baseline bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/consultbot serve

test: $(STAMP)
	$(VENV)/bin/pytest

# ruff; the floors contract (an upward import fails); mypy against its shrinking baseline.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy | $(VENV)/bin/mypy-baseline filter

# After fixing type errors: rewrite mypy-baseline.txt (it must only ever get shorter).
typecheck-baseline: $(STAMP)
	$(VENV)/bin/mypy | $(VENV)/bin/mypy-baseline sync

bench: $(STAMP)
	for script in bench/bench_*.py; do $(VENV)/bin/python $$script || exit 1; done
