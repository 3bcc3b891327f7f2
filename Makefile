# The two set-up commands: `make test` and `make plan STACK=dev`. `make up STACK=dev` deploys.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: install checkov test plan capacity bench snapshots up preview clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# checkov scans the rendered manifests from its own virtual environment: its dependency pins
# conflict with Pulumi's.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

checkov: $(CHECKOV_VENV)/.installed

test: install checkov
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(BIN)/python -m pytest

plan: install
	$(BIN)/python -m tools.plan --stack $(STACK)

# Capacity table of a model across GPUs and tensor-parallel sizes: make capacity MODEL=Qwen/Qwen3-32B [ARGS="--max-model-len 32768"]
MODEL ?= Qwen/Qwen3-8B
capacity: install
	$(BIN)/python -m tools.capacity $(MODEL) $(ARGS)

# Planning time for stacks of 1, 10 and 50 models (a benchmark, not a test).
bench: install
	$(BIN)/python -m tools.bench

# Re-record the reviewed plan snapshots after an intended change; review the diff before committing.
snapshots: install
	UPDATE_SNAPSHOTS=1 $(BIN)/python -m pytest tests/stacks -q

# The policy pack's own environment (Pulumi runs policy/__main__.py with policy/venv).
policy/venv/.installed: policy/requirements.txt
	$(PYTHON) -m venv policy/venv
	policy/venv/bin/pip install --quiet -r policy/requirements.txt
	touch $@

preview: install policy/venv/.installed
	pulumi preview --stack $(STACK) --diff --policy-pack policy

up: install policy/venv/.installed
	@command -v pulumi >/dev/null || { echo "the Pulumi CLI is needed: https://www.pulumi.com/docs/install/"; exit 1; }
	pulumi up --stack $(STACK) --policy-pack policy

clean:
	rm -rf build $(VENV) $(CHECKOV_VENV) policy/venv
