# Two commands on a fresh machine:  make run   (the whole platform)   and   make test   (every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := kernel services/identity services/projects services/backups services/verification \
            services/registry-sync gateway deploy/standins
PYPROJECTS := $(wildcard $(addsuffix /pyproject.toml,$(PACKAGES)))
STAMP := $(VENV)/.installed

.PHONY: setup services run test test-fast bench clean

setup: $(STAMP) services

$(STAMP): requirements.txt $(PYPROJECTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools<81" wheel
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-build-isolation $(addprefix -e ,$(dir $(PYPROJECTS)))
	touch $(STAMP)

services:
	@deploy/scripts/ensure-local-services.sh

run: setup
	$(BIN)/hgrip-run $(RUN_ARGS)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
