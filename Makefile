# The two commands of the README, and a few more. Each creates .venv when it is missing and
# reinstalls only when pyproject.toml changed; nothing else is needed on a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadgroup
export DVC_NO_ANALYTICS := 1
export PYTHONHASHSEED := 0

.PHONY: reproduce test test-slow test-all setup lab benchmark clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "neurobench needs Python 3.11 (Brian2 2.9.0 and the pinned torch); set PYTHON=/path/to/python3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name neurobench --display-name "Python (neurobench)" >/dev/null
	touch $(STAMP)

## Reproduce every paper on the embedded default data: reports/index.html
reproduce: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro
	@echo "Reports: $(CURDIR)/reports/index.html"

## Run the test suite: every test not marked slow, in under 3 minutes on 2 cores. The tests
## marked slow (the small notebook builds and the tests that read them, the dvc runs on a
## repository copy, the serial-versus-pool identity runs) are `make test-slow`; CI runs both.
test: setup
	$(PYTEST) -m "not slow"

## The slow tier: builds every notebook small (each stage's report with the SMALL parameters of
## tests/test_notebooks.py) and runs the other tests marked slow. Two pytest-xdist workers: the
## small reports are built once each, split by stage between both workers (the slowest stages
## first; tests/conftest.py), and the other slow tests fill the gaps.
test-slow: setup
	$(PYTEST) -m slow

## Both tiers in one run (what `make test` and `make test-slow` run, sharing the two workers)
test-all: setup
	$(PYTEST)

## JupyterLab on the notebooks (as root, e.g. in a container, Jupyter needs --allow-root)
lab: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root,)

benchmark: setup
	$(BIN)/python benchmarks/simulator.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/conversion.py
	$(BIN)/python benchmarks/async.py
	$(BIN)/python benchmarks/multicore.py
	$(BIN)/python benchmarks/mapping.py
	$(BIN)/python benchmarks/federated.py
	$(BIN)/python benchmarks/scaleout.py

clean:
	rm -rf $(VENV) .pytest_cache
