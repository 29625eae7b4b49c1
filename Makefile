# The front door. `make demo` and `make test` work on a fresh clone: they create the
# virtual environment from uv.lock first.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# Tools whose pins clash with the project's get an environment of their own.
BOUNCER := $(TOOLS)/dbt-bouncer/bin/dbt-bouncer
CHECKOV := $(TOOLS)/checkov/bin/checkov
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
PG_SERVER := /usr/lib/postgresql/15/bin/postgres
CHROMIUM := /usr/bin/chromium

.PHONY: install demo run app test lint format review docs bench clean lambda-zip

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# --compile-bytecode: the .pyc files written once here, not compiled again by every process
# (dbt's import alone takes 6 s uncompiled, 3.5 s compiled, and a build starts it twice).
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra dev --compile-bytecode
	touch $@

install: $(VENV)/.installed ## Create .venv with exactly the locked dependencies

$(BOUNCER): lint/tools/dbt-bouncer.txt
	$(PYTHON) -m venv $(TOOLS)/dbt-bouncer
	$(TOOLS)/dbt-bouncer/bin/pip install --quiet -r lint/tools/dbt-bouncer.txt
	touch $@

$(CHECKOV): lint/tools/checkov.txt
	$(PYTHON) -m venv $(TOOLS)/checkov
	$(TOOLS)/checkov/bin/pip install --quiet -r lint/tools/checkov.txt
	touch $@

demo: install ## Generate sample data, land, build, publish, then start the app
	$(BIN)/c360 run
	$(BIN)/c360 app

run: install ## The main job without the app
	$(BIN)/c360 run

app: install ## Start the Streamlit app on the published warehouse
	$(BIN)/c360 app

test: install lint $(BOUNCER) $(CHECKOV) $(PG_SERVER) $(CHROMIUM) ## Lint, then every test on two workers (the tests start PostgreSQL, moto_server and the app); prints the 25 slowest
	$(BIN)/pytest -n 2 --dist loadgroup --durations=25

# The PostgreSQL target's tests need a real server: Debian's cluster 15/main, which the
# test fixture starts (and stops again) with pg_ctlcluster. Installed here if missing.
$(PG_SERVER):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15

# The app's browser test drives Debian's Chromium with Playwright (whose own browser
# download needs the internet). Installed here if missing.
$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

lint: install ## ruff (lint + format check), mypy, sqlfluff; contracts, state machine and the app's metric queries up to date
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/sqlfluff lint dbt/models
	$(BIN)/c360 contracts --check
	$(BIN)/c360 statemachine --check
	$(BIN)/c360 metrics --check

# Slim CI, as ci/c360-review.yml runs it on a pull request: lint, then what the change to
# dbt/ does to the published warehouse (the one the C360_* settings name), also as
# Markdown for the pull request's comment. Exit 0, 1 (a test failed) or 2 (not reviewable).
review: lint ## Lint, then `c360 review` of the change to dbt/ against the published build (also build/review.md)
	mkdir -p build
	$(BIN)/c360 review --markdown build/review.md

format: install ## Apply ruff's and sqlfluff's fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix dbt/models

docs: install ## The dbt docs site as one page that opens offline (dbt/target/static_index.html)
	$(BIN)/c360 docs

lambda-zip: install ## The consumer Lambda's and the Glue job's packages (build/), for terraform apply
	$(BIN)/python -m c360.packaging $(abspath $(UV))

bench: install ## Benchmarks (not tests); numbers go in the closing note
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_run.py
	$(BIN)/python bench/bench_app.py
	$(BIN)/python bench/bench_scale.py --scale 10
	$(BIN)/python bench/bench_review.py --scale 1

clean: ## Remove generated data and build output (keeps .venv)
	rm -rf lake warehouse sample-data dbt/target dbt/logs test-output build
