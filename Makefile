# Two commands for newcomers: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export TOWNSQUARE_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test install messages lint bench bench-forum bench-fanout bench-digest bench-analytics bench-member-import

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
	$(BIN)/python bench/search_dictionaries.py

# The forum at scale (docs/performance.md): build a community with bench/generate.py, then
# measure its pages on SQLite and on PostgreSQL (BENCH_PG_URL=  to skip PostgreSQL).
# 10,000 members, 5,000 topics, 100,000 posts by default; SIZE=full for 100,000 members,
# 50,000 topics and 1,000,000 posts (a few minutes per database to build, 1.9 GB on SQLite).
BENCH_DATA_DIR ?= $(CURDIR)/var/bench
ifeq ($(SIZE),full)
BENCH_SIZE := --members 100000 --topics 50000 --posts 1000000
BENCH_NAME := ts_bench
BENCH_SUFFIX :=
else
BENCH_SIZE := --members 10000 --topics 5000 --posts 100000
BENCH_NAME := ts_bench_small
BENCH_SUFFIX := -small
endif
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/$(BENCH_NAME)
BENCH_SQLITE_URL := sqlite:///$(BENCH_DATA_DIR)/forum$(BENCH_SUFFIX).sqlite3
BENCH_RUN := BENCH_DATA_DIR=$(BENCH_DATA_DIR) PYTHONPATH=src $(BIN)/python

bench-forum: install
	$(BENCH_RUN) bench/generate.py $(BENCH_SIZE) --with-search --database-url $(BENCH_SQLITE_URL)
	$(BENCH_RUN) bench/forum.py --database-url $(BENCH_SQLITE_URL) \
		--output bench/results/forum-sqlite$(BENCH_SUFFIX).json --command "make bench-forum$(if $(SIZE), SIZE=$(SIZE),)"
	@if [ -n "$(BENCH_PG_URL)" ]; then \
		$(BENCH_RUN) bench/generate.py $(BENCH_SIZE) --with-search --database-url $(BENCH_PG_URL) && \
		$(BENCH_RUN) bench/forum.py --database-url $(BENCH_PG_URL) \
			--output bench/results/forum-postgresql$(BENCH_SUFFIX).json \
			--command "make bench-forum$(if $(SIZE), SIZE=$(SIZE),)"; \
	else echo "BENCH_PG_URL is empty: PostgreSQL skipped."; fi

# Fan-out of one new topic to 100,000 watchers through two real Celery workers (Redis
# database 14), on SQLite and on PostgreSQL (docs/performance.md, "Fan-out").
BENCH_FANOUT_PG_URL ?= postgres://postgres@127.0.0.1:5432/ts_bench_fanout
bench-fanout: install
	$(BENCH_RUN) bench/fanout.py --databases sqlite,postgresql \
		--sqlite-url sqlite:///$(BENCH_DATA_DIR)/fanout.sqlite3 --pg-url "$(BENCH_FANOUT_PG_URL)"

# The daily digest for 100,000 members due at once, through two real Celery workers (Redis
# database 14) and a real SMTP server, on SQLite and on PostgreSQL (docs/performance.md,
# "Digest"). MEMBERS=10000 for a quicker run.
BENCH_DIGEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/ts_bench_digest
MEMBERS ?= 100000
bench-digest: install
	$(BENCH_RUN) bench/digest.py --databases sqlite,postgresql --members $(MEMBERS) \
		--sqlite-url sqlite:///$(BENCH_DATA_DIR)/digest.sqlite3 --pg-url "$(BENCH_DIGEST_PG_URL)"

# The analytics rollups over a year of raw activity (docs/performance.md, "Analytics
# rollups"): full rebuild, incremental run and dashboard, on SQLite and on PostgreSQL.
# EVENTS=10000000 for the issue's size (page views as many as events).
BENCH_ANALYTICS_PG_URL ?= postgres://postgres@127.0.0.1:5432/ts_bench_analytics
EVENTS ?= 1000000
bench-analytics: install
	$(BENCH_RUN) bench/analytics.py --databases sqlite,postgresql --events $(EVENTS) \
		--sqlite-url sqlite:///$(BENCH_DATA_DIR)/analytics.sqlite3 --pg-url "$(BENCH_ANALYTICS_PG_URL)" \
		--command "make bench-analytics EVENTS=$(EVENTS)" $(if $(filter-out 1000000,$(EVENTS)),--suffix=-$(EVENTS))

# The members import at its limit (docs/performance.md, "Members import"): the check and the
# import of a 10,000-row CSV file, on SQLite and on PostgreSQL.
BENCH_MEMBER_IMPORT_PG_URL ?= postgres://postgres@127.0.0.1:5432/ts_bench_member_import
bench-member-import: install
	$(BENCH_RUN) bench/member_import.py --databases sqlite,postgresql \
		--sqlite-url sqlite:///$(BENCH_DATA_DIR)/member-import.sqlite3 --pg-url "$(BENCH_MEMBER_IMPORT_PG_URL)"
