# litzoo: `make train`, `make test`. The first use creates .venv by itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Every version that was tested, resolved from pyproject.toml's ranges by `make lock`.
LOCK := requirements/lock.txt

MODEL ?= mlp
# The model config names its own default data (its `data:` line); DATA= overrides it.
DEFAULT_DATA = $(shell sed -n 's|^data: *\.\./data/\(.*\)\.yaml.*|\1|p' configs/model/$(MODEL).yaml 2>/dev/null)
DATA ?= $(DEFAULT_DATA)
EXPERIMENT ?=
TRAINER ?= default
LOGGER ?= wandb
DATA_DIR ?= ./data
ARGS ?=

MODELS := $(sort $(basename $(notdir $(wildcard configs/model/*.yaml))))
DATAS := $(sort $(basename $(notdir $(wildcard configs/data/*.yaml))))
TRAINERS := $(sort $(basename $(notdir $(wildcard configs/trainer/*.yaml))))
LOGGERS := $(sort $(basename $(notdir $(wildcard configs/logger/*.yaml))))
EXPERIMENTS := $(sort $(basename $(notdir $(wildcard configs/experiment/*.yaml))))

# Each stacked config overrides the ones before it; ARGS come last and win.
# EXPERIMENT=<name> replaces MODEL and DATA with configs/experiment/<name>.yaml.
DATA_FILE = $(if $(EXPERIMENT),configs/experiment/$(EXPERIMENT).yaml,configs/data/$(DATA).yaml)
CONFIGS = --config configs/trainer/default.yaml \
	$(if $(filter-out default,$(TRAINER)),--config configs/trainer/$(TRAINER).yaml) \
	--config configs/logger/$(LOGGER).yaml \
	$(if $(EXPERIMENT),--config configs/experiment/$(EXPERIMENT).yaml,\
	  --config configs/model/$(MODEL).yaml --data configs/data/$(DATA).yaml) \
	$(if $(shell grep -l '^ *data_dir:' $(DATA_FILE) 2>/dev/null),--data.init_args.data_dir=$(DATA_DIR))

.PHONY: help train test test-slow lock lint format bench results clean check-choice

help:  ## list targets, models and data
	@echo "litzoo targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "variables: MODEL=$(MODEL) DATA=<model default> EXPERIMENT= TRAINER=$(TRAINER) LOGGER=$(LOGGER) DATA_DIR=$(DATA_DIR) ARGS=..."
	@echo "models:    $(MODELS)"
	@echo "data:      $(DATAS)"
	@echo "trainers:  $(TRAINERS)"
	@echo "loggers:   $(LOGGERS)"
	@echo "experiments (make train EXPERIMENT=<name>): $(EXPERIMENTS)"

# The lock constrains every install, so each fresh clone gets the versions that were tested;
# editing pyproject.toml or the lock re-installs.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c $(LOCK) pip
	$(PY) -m pip install -q -c $(LOCK) -e '.[dev]'
	@touch $@

lock: $(STAMP)  ## re-resolve requirements/lock.txt from pyproject.toml (+ requirements/pins.in), newest allowed
	$(PY) -m piptools compile --quiet --upgrade --allow-unsafe --strip-extras --extra dev \
	  --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml requirements/pins.in
	@echo "$(LOCK) refreshed: review 'git diff $(LOCK)', then make test"

check-choice:
ifeq ($(EXPERIMENT),)
	@$(call check,MODEL,$(MODEL),$(MODELS))
	@$(call check,DATA,$(DATA),$(DATAS))
else
	@$(call check,EXPERIMENT,$(EXPERIMENT),$(EXPERIMENTS))
endif
	@$(call check,TRAINER,$(TRAINER),$(TRAINERS))
	@$(call check,LOGGER,$(LOGGER),$(LOGGERS))

check = if [ -z "$(filter $(2),$(3))" ] || [ "$(words $(2))" != 1 ]; then \
	echo "error: unknown $(1) '$(2)'. Available: $(3)" >&2; exit 2; fi

train: check-choice $(STAMP)  ## train MODEL on DATA, then test the best checkpoint
	$(PY) -m litzoo fit $(CONFIGS) $(ARGS)

test: $(STAMP)  ## run the fast test suite
	$(PY) -m pytest -q -m "not slow" $(ARGS)

test-slow: $(STAMP)  ## the tests make test leaves out: DDP, whole make/CLI runs in subprocesses (CI runs both)
	$(PY) -m pytest -q -m slow $(ARGS)

lint: $(STAMP)  ## ruff lint and format check
	$(PY) -m ruff check src tests scripts
	$(PY) -m ruff format --check src tests scripts

format: $(STAMP)  ## apply ruff formatting and safe fixes
	$(PY) -m ruff check --fix src tests scripts
	$(PY) -m ruff format src tests scripts

bench: $(STAMP)  ## seconds per epoch: litzoo vs a plain PyTorch loop vs a per-sample DataLoader
	$(PY) scripts/bench.py --data-dir $(DATA_DIR) $(ARGS)

results: $(STAMP)  ## run every reference experiment (long) and write the README's results table
	$(PY) scripts/results.py --data-dir $(DATA_DIR) $(ARGS)

clean:  ## remove run outputs (keeps .venv and data)
	rm -rf runs wandb lightning_logs .pytest_cache
