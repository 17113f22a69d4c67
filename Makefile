# Two commands for newcomers: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export TOWNSQUARE_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test install messages lint bench

$(BIN)/townsquare: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Townsquare needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/townsquare
	$(BIN)/pybabel compile --domain django --directory src/townsquare/locale --statistics 2>&1 | grep -v '^$$' || true

demo: install
	$(BIN)/townsquare migrate --no-input
	$(BIN)/townsquare demo
	PORT=$(PORT) $(BIN)/townsquare serve --port $(PORT)

test: install
	bash scripts/test.sh

# Extract new strings into the catalogs (needs GNU gettext); translate them, then commit.
messages: install
	cd src/townsquare && ../../$(BIN)/django-admin makemessages --settings=townsquare.settings -l zh_Hans -l pl --no-location --no-obsolete

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/pageview_overhead.py
	$(BIN)/python bench/cooking.py
