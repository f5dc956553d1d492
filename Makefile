# litzoo: `make train`, `make test`. The first use creates .venv by itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Every version that was tested, resolved from pyproject.toml's ranges by `make lock`.
LOCK := requirements/lock.txt

MODEL ?= mlp
DATA ?=
EXPERIMENT ?=
TRAINER ?= default
LOGGER ?= wandb
DATA_DIR ?= ./data
FORMAT ?= onnx
FOLDS ?= 5
FINAL ?=
SWEEP ?=
COUNT ?=
SEED ?= 0
RESUME ?=
SWEEP_ID ?=
INPUT ?=
PORT ?= 8000
HOST ?= 127.0.0.1
ARGS ?=

MODELS := $(sort $(basename $(notdir $(wildcard configs/model/*.yaml))))
DATAS := $(sort $(basename $(notdir $(wildcard configs/data/*.yaml))))
TRAINERS := $(sort $(basename $(notdir $(wildcard configs/trainer/*.yaml))))
LOGGERS := $(sort $(basename $(notdir $(wildcard configs/logger/*.yaml))))
EXPERIMENTS := $(sort $(basename $(notdir $(wildcard configs/experiment/*.yaml))))
SWEEPS := $(sort $(basename $(notdir $(wildcard configs/sweep/*.yaml))))
CODE := $(wildcard src tests scripts)

# litzoo.configs (the one config reader) turns the choices into stacked --config files, later
# ones winning: trainer/default, TRAINER, LOGGER, MODEL, DATA (default: the model's own), or
# EXPERIMENT in place of MODEL and DATA; ARGS come last and win. One argument per line, so a
# DATA_DIR with spaces stays one argument.
SELECTION = --model '$(MODEL)' --data '$(DATA)' --experiment '$(EXPERIMENT)' \
	--trainer '$(TRAINER)' --logger '$(LOGGER)' --data-dir '$(DATA_DIR)'
# $(call with_fit_args,<litzoo command and options>[,<more selection>]): the command gets the fit
# arguments, then ARGS.
define with_fit_args
@out=$$($(PY) -m litzoo.configs fit-args $(SELECTION) $(2)) || exit 2; mapfile -t argv <<< "$$out"; \
	set -x; $(PY) -m $(1) "$${argv[@]}" $(ARGS)
endef

.PHONY: help train cv sweep agent resume eval export predict generate serve bench-serve test test-slow lock lint format clean

help:  ## list targets, models and data
	@echo "targets:"
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "variables: MODEL=$(MODEL) DATA=<model default> EXPERIMENT= TRAINER=$(TRAINER) LOGGER=$(LOGGER) DATA_DIR=$(DATA_DIR) ARGS=..."
	@echo "models:    $(MODELS)"
	@echo "data:      $(DATAS)"
	@echo "trainers:  $(TRAINERS)"
	@echo "loggers:   $(LOGGERS)"
	@echo "experiments (make train EXPERIMENT=<name>): $(EXPERIMENTS)"
	@echo "sweeps (make sweep SWEEP=<name> COUNT=<trials>): $(SWEEPS)"

# The lock constrains every install, so each fresh clone gets the versions that were tested;
# editing pyproject.toml or the lock re-installs. Two first commands at once (two terminals in
# a fresh clone): flock makes the second wait for the first, then find the stamp fresh.
$(STAMP): pyproject.toml $(LOCK)
	@mkdir -p $(VENV) && exec 9>$(VENV)/.lock && { ! command -v flock >/dev/null || flock 9; } && \
	if [ $@ -nt pyproject.toml ] && [ $@ -nt $(LOCK) ]; then exit 0; fi && \
	{ test -x $(PY) || { echo "creating $(VENV) (once)"; $(PYTHON) -m venv $(VENV); }; } && \
	$(PY) -m pip install -q -c $(LOCK) pip && \
	$(PY) -m pip install -q -c $(LOCK) -e '.[dev]' && \
	touch $@

lock: $(STAMP)  ## re-resolve requirements/lock.txt from pyproject.toml (+ requirements/pins.in), newest allowed
	$(PY) -m piptools compile --quiet --upgrade --allow-unsafe --strip-extras --extra dev \
	  --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml requirements/pins.in
	@echo "$(LOCK) refreshed: review 'git diff $(LOCK)', then make test"

train: $(STAMP)  ## train MODEL on DATA (or an EXPERIMENT), then test the best checkpoint
	$(call with_fit_args,litzoo fit)

cv: $(STAMP)  ## k-fold cross-validation of MODEL on DATA: FOLDS=5 grouped runs, cv.json with mean ± std; FINAL=1: then fit and test once
	$(call with_fit_args,litzoo cv --folds "$(FOLDS)" $(if $(FINAL),--final) --)

# A sweep trains what its header names (# model:, # data:), always logging to W&B.
SWEEP_RUN = litzoo sweep "configs/sweep/$(SWEEP).yaml" --count "$(COUNT)" --seed "$(SEED)" --
sweep: $(STAMP)  ## hyperparameter sweep: SWEEP=<configs/sweep name> COUNT=<trials>; RESUME=<its folder> continues
ifneq ($(RESUME),)
	$(PY) -m litzoo sweep --resume "$(RESUME)" --count "$(COUNT)"
else
	$(call with_fit_args,$(SWEEP_RUN),--sweep '$(SWEEP)' --logger wandb)
endif

agent: $(STAMP)  ## one more agent for an online W&B sweep: SWEEP_ID=<entity/project/id> [COUNT=]
	$(PY) -m litzoo agent "$(SWEEP_ID)" --count "$(COUNT)"

# The run-folder targets: RUN=runs/<name>/<time>, with the config and checkpoints it holds
# (litzoo checks that it is one).
resume: $(STAMP)  ## continue a killed or preempted run in place: RUN=runs/<name>/<time>
	$(PY) -m litzoo resume "$(RUN)" $(ARGS)

eval: $(STAMP)  ## test metrics of a run's best checkpoint, into RUN/test.json: RUN=runs/<name>/<time>
	$(PY) -m litzoo test --run "$(RUN)" $(ARGS)

export: $(STAMP)  ## RUN's best network to RUN/export/model.$(FORMAT) (onnx or pt2), checked against PyTorch
	$(PY) -m litzoo export "$(RUN)" --format "$(FORMAT)"

predict: $(STAMP)  ## predictions of a run's best checkpoint on the test split, into RUN/predictions.csv; INPUT=<image folder|CSV|text file>: on your files
	$(PY) -m litzoo predict --run "$(RUN)" $(if $(INPUT),--input "$(INPUT)") $(ARGS)

# FORMAT's default (onnx) is export's: serving defaults to PyTorch unless FORMAT is given.
SERVE_FORMAT = $(if $(filter file,$(origin FORMAT)),torch,$(FORMAT))
serve: $(STAMP)  ## RUN's model answering POST /predict (LitServe) on HOST:PORT (127.0.0.1:8000); FORMAT=onnx: its exported file
	$(PY) -m litzoo serve "$(RUN)" --port "$(PORT)" --host "$(HOST)" --format "$(SERVE_FORMAT)" $(ARGS)

PROMPT ?=
TOKENS ?= 500
generate: $(STAMP)  ## text from a run's language model: RUN=runs/<name>/<time> PROMPT="ROMEO:" [TOKENS=500]
	$(PY) -m litzoo generate --run "$(RUN)" $(if $(PROMPT),--prompt "$(PROMPT)") --tokens "$(TOKENS)" $(ARGS)

test: $(STAMP)  ## run the fast test suite
	$(PY) -m pytest -q -m "not slow" $(ARGS)

test-slow: $(STAMP)  ## the tests make test leaves out: DDP, whole make/CLI runs in subprocesses (CI runs both)
	$(PY) -m pytest -q -m slow $(ARGS) || [ $$? = 5 ]  # 5: no test is marked slow

lint: $(STAMP)  ## ruff lint and format check
	$(PY) -m ruff check $(CODE)
	$(PY) -m ruff format --check $(CODE)

format: $(STAMP)  ## apply ruff formatting and safe fixes
	$(PY) -m ruff check --fix $(CODE)
	$(PY) -m ruff format $(CODE)

clean:  ## remove run outputs (keeps .venv and data)
	rm -rf runs wandb lightning_logs .pytest_cache

# litzoo-only: begin
.PHONY: bench
bench: $(STAMP)  ## seconds per epoch: litzoo vs a plain PyTorch loop vs a per-sample DataLoader
	$(PY) scripts/bench.py --data-dir $(DATA_DIR) $(ARGS)

.PHONY: bench-serve
bench-serve: $(STAMP)  ## req/s and p50/p99 of make serve: MLP and CNN, batching on/off, PyTorch vs ONNX (RUN= for your own run)
	$(PY) scripts/bench_serve.py $(if $(RUN),--run "$(RUN)") $(ARGS)

.PHONY: bench-stream
bench-stream: $(STAMP)  ## s/epoch on one image folder (MNIST as PNGs): in memory vs LitData streaming
	$(PY) scripts/bench_stream.py --data-dir $(DATA_DIR) $(ARGS)

# Without CUDA it prints one line saying so and exits 1 (nothing measured).
.PHONY: bench-gpu
bench-gpu: $(STAMP)  ## on a GPU: time to 98%/99% (MLP/CNN), samples/s, peak memory: plain loop vs litzoo
	$(PY) scripts/bench_gpu.py --data-dir $(DATA_DIR) $(ARGS)

.PHONY: results
results: $(STAMP)  ## run every reference experiment (long) and write the results table in docs/benchmark.md
	$(PY) scripts/results.py --data-dir $(DATA_DIR) $(ARGS)

# The project template (cookiecutter in template/), built from this repository's own files:
# never edit template/ by hand. These targets exist only in litzoo itself.
OUT ?= ..

.PHONY: template new-project

template: $(STAMP)  ## rebuild template/ from this repository (scripts/template/manifest.yaml); commit it
	$(PY) scripts/make_template.py

# cruft records the template and the answers in .cruft.json after the bake (and after the
# template's own first commit): fold it into that commit, so `cruft update` starts clean.
new-project: $(STAMP)  ## a new project in OUT (default ..) from the committed template; ARGS="--no-input ..."
	$(PY) scripts/new_project.py "$(CURDIR)" --directory template --output-dir "$(OUT)" $(ARGS)
	@for f in "$(OUT)"/*/.cruft.json; do d=$$(dirname "$$f"); \
	  if [ -n "$$(git -C "$$d" status --porcelain -- .cruft.json 2>/dev/null)" ]; then \
	    git -C "$$d" add .cruft.json && git -C "$$d" commit -q --amend --no-edit && \
	    echo "$$d: .cruft.json recorded in the first commit"; fi; done
# litzoo-only: end
