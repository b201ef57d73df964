# Set-up is two commands: `make demo` and `make test`. Both create .venv and
# install the project with its pinned dependencies (constraints.txt) first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
UPSTREAM ?=

.PHONY: install demo serve simulator test lint schema clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

install: $(INSTALLED)

demo: $(INSTALLED)  ## the gateway in front of the bundled simulator
	$(BIN)/pieces-gateway demo

serve: $(INSTALLED)  ## the gateway in front of a Pieces OS: make serve UPSTREAM=http://127.0.0.1:39300
	$(BIN)/pieces-gateway serve $(if $(UPSTREAM),--upstream $(UPSTREAM))

simulator: $(INSTALLED)
	$(BIN)/pieces-gateway simulator

test: $(INSTALLED)
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check gateway schema tests
	$(BIN)/ruff format --check gateway schema tests
	$(BIN)/mypy

schema: $(INSTALLED)  ## regenerate the generated modules and the printed SDL
	$(BIN)/python -m schema.codegen
	$(BIN)/pieces-gateway schema > schema/schema.graphql

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
