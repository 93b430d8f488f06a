# casekit: the two commands the README starts with.
#   make demo   set up .venv, then ingest and code the demo corpora, load the demo coders'
#               manual codings and batch-run every case report into reports/
#   make test   set up .venv with test tools, then lint and run the whole test suite
# A stamp file re-installs when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint setup clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "casekit needs Python 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(VENV)/.installed $@

setup: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/casekit ingest --all
	$(BIN)/casekit code --all --codebook codebooks/*.yaml
	$(BIN)/casekit import codings digi_midtfjord corpora/digi_midtfjord/codings/coder_a.csv --coder anna --codebook codebooks/governance_logics.yaml
	$(BIN)/casekit import codings digi_midtfjord corpora/digi_midtfjord/codings/coder_b.csv --coder bjorn --codebook codebooks/governance_logics.yaml
	$(BIN)/casekit status
	$(BIN)/casekit batch --all --out reports
	@echo "Reports: file://$(CURDIR)/reports/index.html"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) casekit.db casekit.db-wal casekit.db-shm reports .pytest_cache .ruff_cache
