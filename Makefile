# One task runner for earmark: `make demo`, `make test` (lint + types + tests), `make bench`.
# Every target sets up what it needs: a virtual environment in .venv with the CPU build of
# PyTorch (torch==2.13.0 is installed first so that the plain `torch` requirement does not
# pull a multi-GB CUDA build).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.earmark-installed

.PHONY: setup demo test lint types pytest bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/earmark demo

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks scripts

types: setup
	$(VENV)/bin/mypy

pytest: setup
	$(PY) -m pytest -q

test: lint types pytest

bench: setup
	$(PY) benchmarks/run_benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache earmark-demo-output
