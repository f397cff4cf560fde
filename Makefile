# Terrain — the two commands a fresh machine needs are `make run` and `make test`.
# Only Python >= 3.11 and make are assumed: uv is installed into .tools/ when it is missing.

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
LINTED := assistant tests $(wildcard benchmarks)

.PHONY: run test test-fast lint typecheck unit bench format messages settings-doc clean

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	@touch $@

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

HOST ?= 127.0.0.1
PORT ?= 8000

## run: create the environment, index the knowledge folder, then start the web app
run: $(VENV)/.synced
	@$(BIN)/terrain ingest; status=$$?; \
	if [ $$status -ne 0 ]; then echo "terrain ingest exited with status $$status (see above; \`terrain doctor\` checks Ollama): starting the web app anyway."; fi
	$(BIN)/terrain serve --host $(HOST) --port $(PORT)

## test: lint, format check, the layers' imports, strict type check, then the test suite (the fast tests under coverage)
test: lint typecheck unit

lint: $(VENV)/.synced
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports

typecheck: $(VENV)/.synced
	$(BIN)/mypy

# axe-core, which the browser tests inject to measure accessibility (skipped without npm).
AXE := tests/web/node_modules/axe-core/axe.min.js
$(AXE): tests/web/package.json tests/web/package-lock.json
	cd tests/web && npm ci --no-audit --no-fund
	@touch $@

# The fast tests under coverage of assistant/, with its floor (fail_under in pyproject.toml,
# which only rises), then the slow ones without: tracing the whole suite would cost CI minutes
# it does not have (measured in CONTRIBUTING.md, "Coverage").
unit: $(VENV)/.synced $(if $(shell command -v npm 2>/dev/null),$(AXE))
	$(BIN)/pytest -m "not slow" --cov --cov-report=term
	$(BIN)/pytest -m slow -n 2 --dist loadfile

## test-fast: the tests not marked slow (no server, process, spaCy or full ingest)
test-fast: $(VENV)/.synced
	$(BIN)/pytest -m "not slow"

## bench: every benchmark in benchmarks/, each printing one JSON object on its last line
bench: $(VENV)/.synced
	@set -e; for script in benchmarks/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script; done

## messages: bring the catalogs (assistant/locale/*/LC_MESSAGES/terrain.po) in step with the code, then compile them
messages: $(VENV)/.synced
	$(BIN)/python -m assistant.catalogs

## settings-doc: write the settings table of docs/settings.md from assistant/config.py's field docs
settings-doc: $(VENV)/.synced
	$(BIN)/python -m assistant.config --write docs/settings.md

format: $(VENV)/.synced
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

clean:
	rm -rf $(VENV) .tools .mypy_cache .pytest_cache .ruff_cache
