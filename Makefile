# `make test` and `make site` work on a fresh clone with only python3 (3.11+) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: test site generate serve clean

$(VENV): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)

generate: $(VENV)
	$(BIN)/python -m generator generate

site: $(VENV)
	$(BIN)/python -m generator build --strict

serve: $(VENV)
	$(BIN)/python -m generator serve

test: $(VENV)
	$(BIN)/python -m pytest

clean:
	rm -rf site docs/replies docs/data docs/.generated.json
