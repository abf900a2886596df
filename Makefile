# GenoFlow Desktop: `make run` starts the app, `make test` runs the whole suite.
# Both create .venv when missing and install what changed; both are safe to repeat.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
DEPS := pyproject.toml setup.py

.PHONY: run test bench screenshots package check-python check-qt lint clean

run: $(STAMP_RUN) check-qt
	$(BIN)/genoflow

test: $(STAMP_TEST)
	$(BIN)/python -m pytest

bench: $(STAMP_TEST)
	$(BIN)/python tests/benchmarks/run_all.py

screenshots: $(STAMP_RUN)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m genoflow_desktop.qt.screenshots docs/screenshots

package: $(STAMP_RUN)
	$(BIN)/python -m pip install -q -e '.[package]'
	$(BIN)/python packaging/build.py

lint: $(STAMP_TEST)
	$(BIN)/lint-imports
	$(BIN)/python -m ruff check genoflow_desktop tests || true

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "GenoFlow needs Python 3.11 or newer, but $(PYTHON) is " + sys.version.split()[0] + ". Run: make PYTHON=python3.12 ...")'
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		echo "Python's venv module is missing. On Debian/Ubuntu: sudo apt-get install python3-venv"; exit 1; }

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_RUN): $(DEPS) | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(STAMP_TEST): $(DEPS) | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,server]'
	@touch $@ $(STAMP_RUN)

# Names the system package to install when Qt cannot load (instead of Qt's obscure abort).
check-qt: $(STAMP_RUN)
	@$(BIN)/python -m genoflow_desktop.core.system_check

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
