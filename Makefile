# `make test` and `make site` work on a fresh clone with only python3 (3.11+) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The data dir to read (another place's: `make site DATA=mydata`); `make site STRICT=` builds despite warnings.
DATA ?= data
STRICT ?= --strict

.PHONY: test site generate serve archive check bench bench-formats accuracy clean

$(VENV): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)

generate: $(VENV)
	$(BIN)/python -m generator generate --data $(DATA)

site: $(VENV)
	$(BIN)/python -m generator build --data $(DATA) $(STRICT)

archive: $(VENV)
	$(BIN)/python -m generator archive --data $(DATA) $(STRICT)

# Benchmarks on synthetic corpora (bench/run.py): prints a table, writes bench/results.json.
bench: $(VENV)
	$(BIN)/python bench/run.py

# Reading speed per input format (bench/read_speed.py): text, PDF, Word, web page.
bench-formats: $(VENV)
	$(BIN)/python bench/read_speed.py

# Field accuracy of extraction on the annotated real replies (bench/accuracy.py): prints the table.
accuracy: $(VENV)
	$(BIN)/python bench/accuracy.py

check: $(VENV)
	$(BIN)/python -m generator check --data $(DATA)

serve: $(VENV)
	$(BIN)/python -m generator serve --data $(DATA)

test: $(VENV)
	$(BIN)/python -m pytest

clean:
	rm -rf site archives docs/index.md docs/replies docs/data docs/agencies docs/themes \
	  docs/sessions docs/proposers docs/years docs/quality docs/.generated.* docs/.userdict.txt \
	  docs/about.md docs/.site.json docs/feeds docs/find
