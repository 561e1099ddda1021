# Upright: the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: Pango for WeasyPrint (the app), Chromium and poppler for the tests.
RUN_DEBS  := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
TEST_DEBS := chromium poppler-utils
BENCH_DEBS := wrk

.PHONY: run test bench lint format install run-deps test-deps debs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run-deps:
	@$(MAKE) --no-print-directory debs DEBS="$(RUN_DEBS)"

test-deps: run-deps
	@$(MAKE) --no-print-directory debs DEBS="$(TEST_DEBS)"
	@# PostgreSQL's server programs (tests/postgres.py looks on PATH and in /usr/lib/postgresql).
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || $(MAKE) --no-print-directory debs DEBS="postgresql"

# Installs whichever of $(DEBS) are missing, with the system package manager.
debs:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

run: install run-deps
	$(BIN)/flask --app wsgi db upgrade
	@echo "Upright is running at http://127.0.0.1:$(PORT)"
	SCHEDULER_ENABLED=1 $(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT) --no-reload

# The whole suite on SQLite, then every database test again on a throwaway PostgreSQL server.
test: install test-deps
	env -u DATABASE_URL $(BIN)/pytest -n 2
	env -u DATABASE_URL $(BIN)/pytest -n 2 --postgres -m database

bench: install test-deps
	@$(MAKE) --no-print-directory debs DEBS="$(BENCH_DEBS)"
	@command -v npm >/dev/null || $(MAKE) --no-print-directory debs DEBS="nodejs npm"  # Lighthouse
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache
