# send-data-platform: the three commands of the README, and their building blocks.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SEND_DATA_ROOT ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(SEND_DATA_ROOT)/dagster_home
SCALE ?=
SEED ?= 42

.PHONY: run test ui install manifest sample bench mutate clean help browser docs

help:
	@echo "make run   - install, generate sample data if absent, materialise everything, print a summary"
	@echo "make test  - install and run the test suite"
	@echo "make ui    - the Dagster UI on http://127.0.0.1:3000 (persistent DAGSTER_HOME)"
	@echo "make bench - benchmarks at scale 1 and 25 (SCALE=n for one)"
	@echo "make mutate - mutation testing: the exactness tests must kill every curated dbt SQL mutant"
	@echo "make docs  - the dbt docs site, static and offline, from the built warehouse: data/docs/index.html"

# The console gets one line per install step with its time; pip's and dbt's output goes to
# $(INSTALL_LOG), whose last lines are shown when a step fails.
LOGS := $(SEND_DATA_ROOT)/logs
INSTALL_LOG := $(LOGS)/install.log
STEP_LINE := printf '%-19s %-62s%7s s\n'
# $(call logged,label,what,command[,log]): run command with its output in the log (install.log).
logged = mkdir -p -m 700 "$(LOGS)"; { $(3); } >>"$(or $(4),$(INSTALL_LOG))" 2>&1 \
	|| { echo "$(1) FAILED; the end of $(or $(4),$(INSTALL_LOG)):"; tail -n 25 "$(or $(4),$(INSTALL_LOG))"; \
	exit 1; }; $(STEP_LINE) "$(1)" "$(2)" "$$SECONDS"

$(BIN)/python:
	@$(call logged,install,virtual environment $(VENV) (log: $(INSTALL_LOG)),$(PYTHON) -m venv $(VENV))

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml setup.py orchestration/sen2/_native.c | $(BIN)/python
	@$(call logged,install,packages: pip install -e '.[dev]',$(BIN)/pip install --upgrade pip && $(BIN)/pip install -e '.[dev]')
	@touch $(STAMP)

MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests seeds -type f 2>/dev/null) \
	dbt_project/dbt_project.yml dbt_project/profiles.yml

install: $(STAMP) $(MANIFEST)

# Build the dbt manifest at install time (and again only when dbt code changes), not on every
# code-location load. Parsed for the warehouse path the platform will use, so dbt's saved
# parse state matches the runs' profile and they parse incrementally.
$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	@$(call logged,install,dbt manifest parsed: $(MANIFEST),cd dbt_project && PATH="$(CURDIR)/$(BIN):$$PATH" \
		SEND_WAREHOUSE_PATH="$$($(CURDIR)/$(BIN)/python -c 'from orchestration.settings import Paths; print(Paths.from_env().warehouse)')" \
		../$(BIN)/dbt parse --quiet)

manifest: $(MANIFEST)

sample: install
	@if [ -f "$${SEND_LANDING_DIR:-$(SEND_DATA_ROOT)/landing}/SAMPLE_DATA.json" ] || [ -n "$${SEND_LANDING_DIR:-}" ]; then \
		$(STEP_LINE) "sample data" "landing data present: $${SEND_LANDING_DIR:-$(SEND_DATA_ROOT)/landing}" -; \
	else \
		$(call logged,sample data,scale $(or $(SCALE),1) written to $(SEND_DATA_ROOT)/landing,$(BIN)/python -m orchestration.sample_data --scale $(or $(SCALE),1) --seed $(SEED) --out "$(SEND_DATA_ROOT)/landing",$(LOGS)/sample.log); \
	fi

run: sample
	@mkdir -p "$(DAGSTER_HOME)"
	@$(BIN)/python -m orchestration.run_all

# The report is tested in a real browser: Debian's Chromium (Playwright cannot download its own).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium is missing: 'sudo apt-get install chromium' to run the browser tests"; \
		fi; \
	fi

test: install browser
	$(BIN)/python -m pytest

# dg dev under a supervisor (orchestration/ui.py): Ctrl-C or SIGTERM stops every process it started.
ui: install
	@mkdir -p "$(DAGSTER_HOME)"
	@$(BIN)/python -m orchestration.ui

# The dbt docs site (orchestration/docs_site.py): one self-contained data/docs/index.html that
# opens offline, its catalog read from the warehouse `make run` built.
docs: install
	$(BIN)/python -m orchestration.docs_site

# Benchmarks at scale 1 and 25 (SCALE=n for one scale); figures in data/bench/results.json.
bench: install
	$(BIN)/python benchmarks/run.py $(if $(SCALE),--scale $(SCALE),--scale 1 --scale 25)

# Mutation testing of the dbt SQL (tests/mutation/): each curated mutant on a scratch copy,
# one after the other; fails if the exactness tests let any mutant survive.
mutate: install
	$(BIN)/python -m tests.mutation.mutate

clean:
	rm -rf data dbt_project/target dbt_project/logs
