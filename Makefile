# Two commands on a fresh machine:  make run   (the whole platform)   and   make test   (every test).
# Install steps are quiet: one progress line each on the terminal, their output in $(INSTALL_LOG).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := kernel services/identity services/projects services/backups services/verification \
            services/registry-sync gateway deploy/standins
PYPROJECTS := $(wildcard $(addsuffix /pyproject.toml,$(PACKAGES)))
STAMP := $(VENV)/.installed
INSTALL_LOG ?= var/log/install.log
export HGRIP_INSTALL_LOG := $(INSTALL_LOG)
STEP := deploy/scripts/step.sh
PIP := $(BIN)/pip --disable-pip-version-check --no-input
PIP_QUIET := --progress-bar off

# The web application (web/, Vue + Vite): installed with `npm ci` from its lock file, built into web/dist,
# which the gateway serves at http://127.0.0.1:8000/.
WEB := web
WEB_STAMP := $(WEB)/node_modules/.hgrip-installed
WEB_DIST := $(WEB)/dist/index.html
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
               $(wildcard $(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/tsconfig*.json $(WEB)/package.json \
                          $(WEB)/package-lock.json)
HAS_WEB := $(wildcard $(WEB)/package.json)

# The fast inner loop (make test-unit): domain and application tests with in-memory fakes, and the
# kernel's tests that need no server. No broker, no database; under 30 seconds together.
KERNEL_UNIT_TESTS := $(addprefix kernel/tests/test_kernel_,envelope.py field_errors.py field_rules.py masking.py personal_data.py \
                                                           memory_store.py)
UNIT_TESTS = $(KERNEL_UNIT_TESTS) $(wildcard services/*/tests/unit)

.PHONY: setup services run test test-fast test-unit test-faults lint bench clean web web-install web-build web-api web-dev web-test \
        browser

setup: $(STAMP) services feed-install

$(STAMP): requirements.txt $(PYPROJECTS)
	@test -x $(BIN)/python || $(STEP) "creating the virtualenv $(VENV)" $(PYTHON) -m venv $(VENV)
	@$(STEP) "upgrading pip, setuptools and wheel" $(PIP) install $(PIP_QUIET) --upgrade pip "setuptools<81" wheel
	@$(STEP) "installing Python packages (requirements.txt)" $(PIP) install $(PIP_QUIET) -r requirements.txt
	@$(STEP) "installing the platform's own packages" \
		$(PIP) install $(PIP_QUIET) --no-build-isolation $(addprefix -e ,$(dir $(PYPROJECTS)))
	@touch $(STAMP)

services:
	@$(STEP) "checking PostgreSQL and RabbitMQ" deploy/scripts/ensure-local-services.sh

# --- the web application ----------------------------------------------------------------------------
ifneq ($(HAS_WEB),)
web-install: $(WEB_STAMP)

# npm ci empties node_modules first, so the stamp inside it is only there after a complete install.
$(WEB_STAMP): $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "the web application needs Node.js 20+ and npm (apt-get install nodejs npm)" >&2; exit 1; }
	@$(STEP) "installing web packages (npm ci)" npm --prefix $(WEB) ci --no-audit --no-fund
	@touch $@

web web-build: $(WEB_DIST)

# Touched after the build: the build itself rewrites generated sources (src/components.d.ts).
$(WEB_DIST): $(WEB_SOURCES) $(WEB_STAMP)
	@$(STEP) "building the web application (vite build)" npm --prefix $(WEB) run build
	@touch $@

web-api: setup web-install
	$(BIN)/python -m hgrip_gateway.openapi_export $(WEB)/src/api/openapi.json
	npm --prefix $(WEB) run gen:api

web-dev: web-install
	@echo "Vite's dev server on http://127.0.0.1:5173/, /api proxied to $${HGRIP_GATEWAY_ADDRESS:-127.0.0.1:8000} (start it with make run)"
	cd $(WEB) && npm run dev

web-test: web-install
	cd $(WEB) && npm test
else
web web-install web-build web-api web-dev web-test:
	@echo "no $(WEB)/package.json: nothing to do for the web application"
endif

browser:
	@deploy/scripts/ensure-browser.sh

# The HGRG stand-in's feed consumer (Node: amqplib, ajv) reading its downstream queue (docs/protocols/feed.md).
FEED := deploy/standins/hgrg-feed
FEED_STAMP := $(FEED)/node_modules/.hgrip-installed
.PHONY: feed-install
feed-install: $(FEED_STAMP)

$(FEED_STAMP): $(FEED)/package-lock.json
	@command -v npm >/dev/null || { echo "the HGRG feed consumer needs Node.js 18+ and npm (apt-get install nodejs npm)" >&2; exit 1; }
	@$(STEP) "installing the HGRG feed consumer's packages (npm ci)" npm --prefix $(FEED) ci --no-audit --no-fund
	@touch $@

# Debian's prometheus and promtool for tests/metrics/ (their own server on a temporary port), when missing.
.PHONY: prometheus
prometheus:
	@deploy/scripts/ensure-prometheus.sh

# The Kubernetes manifests' checkers (tests/deploy): kubectl for its kustomize, and kubernetes-validate
# and checkov in a virtualenv of their own (their many dependencies would fight requirements.txt).
DEPLOY_VENV := .venv-deploy
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed
.PHONY: deploy-tools
deploy-tools: $(DEPLOY_STAMP)
	@deploy/k8s/ensure-kubectl.sh

$(DEPLOY_STAMP): deploy/k8s/tools-requirements.txt
	@test -x $(DEPLOY_VENV)/bin/python || $(STEP) "creating the virtualenv $(DEPLOY_VENV)" $(PYTHON) -m venv $(DEPLOY_VENV)
	@$(STEP) "installing checkov and kubernetes-validate ($(DEPLOY_VENV))" \
		$(DEPLOY_VENV)/bin/pip --disable-pip-version-check --no-input install $(PIP_QUIET) -r deploy/k8s/tools-requirements.txt
	@touch $@

# Containers with podman (deploy/README.md "Containers with podman"; issue 13). container-tools installs
# Debian's podman, runc, debootstrap, podman-compose in .venv-containers, and containers.conf (as root);
# test-deploy builds every image (a local debian:bookworm-slim first) and runs tests/deploy/test_containers.py
# against the compose stack: ~13 min cold (base image 1.5 min, images ~6 min, tests 6 min), ~6 min cached.
.PHONY: container-tools test-deploy
container-tools:
	@$(STEP) "installing podman, runc, debootstrap and podman-compose" deploy/scripts/container-tools.sh

test-deploy: setup web-build container-tools
	@$(STEP) "building the container images (podman)" deploy/scripts/build-images.sh
	HGRIP_CONTAINER_TESTS=1 $(BIN)/pytest tests/deploy/test_containers.py -x --timeout 1800 $(PYTEST_ARGS)

# --- the two commands -------------------------------------------------------------------------------
run: setup web-build
	@$(BIN)/hgrip-run $(RUN_ARGS)

# Lint, Vitest, then pytest last so that its summary ends the output; every part runs, and the run
# fails if any of them failed.
test: setup web-build browser deploy-tools prometheus
	@lint=0; web=0; py=0; \
	$(MAKE) --no-print-directory lint || lint=$$?; \
	if [ -n "$(HAS_WEB)" ]; then $(MAKE) --no-print-directory web-test || web=$$?; fi; \
	$(BIN)/pytest $(PYTEST_ARGS) || py=$$?; \
	if [ $$lint -ne 0 ]; then echo "!! lint (ruff, mypy, import-linter, bandit) failed: see its findings at the top"; fi; \
	if [ $$web -ne 0 ]; then echo "!! the web tests (vitest) failed: see their output above pytest's"; fi; \
	exit $$(( lint || web || py ))

# ruff (ruff.toml), mypy (mypy.ini: the kernel's core, every domain/ and app/), import-linter
# (.importlinter: the layers) and bandit (bandit.yaml: no finding above low severity in the platform's
# code, tests aside, unless justified in place with `# nosec BXXX # why`). One line per tool when it
# passes; its findings when it fails.
lint: $(STAMP)
	@failed=0; \
	step() { name=$$1; shift; \
	         if out=$$("$$@" 2>&1); then echo "lint: $$name: ok"; \
	         else echo "$$out"; echo "!! lint: $$name failed"; failed=1; fi; }; \
	step ruff $(BIN)/ruff check .; \
	step mypy $(BIN)/mypy; \
	step import-linter $(BIN)/lint-imports --no-cache; \
	step bandit $(BIN)/bandit -c bandit.yaml -r services gateway kernel deploy/standins -q --severity-level medium; \
	exit $$failed

test-unit: $(STAMP)
	$(BIN)/pytest -q $(UNIT_TESTS) $(PYTEST_ARGS)

# The fault suite alone with a larger load (8 clients instead of 4; docs/reliability.md). make test runs
# it too, at the small load. Its broker and database are private instances, started and removed here.
test-faults: setup
	HGRIP_FAULT_LOAD=large $(BIN)/pytest tests/faults -s $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

bench: setup web-build browser
	$(BIN)/python -m bench $(BENCH_ARGS)

# py-spy profile of every platform process under a steady submission load (PROFILE_ARGS="--rate 50").
.PHONY: profile
profile: setup
	$(BIN)/python -m bench profile $(PROFILE_ARGS)

clean:
	rm -rf $(VENV) var $(WEB)/dist $(WEB)/node_modules $(FEED)/node_modules
