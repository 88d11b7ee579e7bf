# Two commands: `make run` (the main job end to end on demo data) and `make test`.
# Both create .venv and install the pinned dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install browser clean help
SCALE ?= 1000000

help:
	@echo "make run    - generate demo data (first time), ingest, dbt build, train, score, summary"
	@echo "make test   - every test: pytest (which drives dbt build, ingest, train, score for real)"
	@echo "make lint   - sqlfluff (dbt templater) on the models and singular tests (make test runs it too)"
	@echo "make bench SCALE=N - generate ~N tickets and time every stage (figures in docs/benchmarks/)"
	@echo "make clean  - remove the warehouse, landing data, artifacts and dbt target/"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,spark]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m pipeline $(ARGS)

# The report-rendering test drives a real browser: Debian's chromium package (a test
# tool's own browser download does not work without the internet).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the report-rendering test"; \
		$(SUDO) apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium >/dev/null; }; }

test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The dbt templater compiles the project and so connects: to a scratch file, never the
# warehouse, and with its own target folder, so a dbt run at the same time is undisturbed.
lint: $(STAMP)
	mkdir -p target/lint && DBT_TARGET_PATH=target/lint AFISHA_WAREHOUSE=target/lint/afisha.duckdb $(BIN)/sqlfluff lint models dbt_tests/singular --processes 2

bench: $(STAMP)
	$(BIN)/python -m pipeline.bench --tickets $(SCALE) $(ARGS)

clean:
	rm -rf warehouse data/landing artifacts target logs
