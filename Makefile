# The two set-up commands: `make test` and `make plan STACK=dev`. `make up STACK=dev` deploys.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: help install checkov prometheus-tools test plan capacity bench snapshots schema up preview verify e2e pulumi-cli clean

# `make help` lists every target with the `##` line beside it.
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## (.*)/  make \1\t\2/' | expand -t 22

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## create .venv with the pinned runtime and test tools

# checkov scans the rendered manifests from its own virtual environment: its dependency pins
# conflict with Pulumi's.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

checkov: $(CHECKOV_VENV)/.installed ## install checkov into its own .venv-checkov

# promtool and amtool for the monitoring tests: the project's .tools/bin (Prometheus's archives or Debian's packages,
# SHA-256 pinned), or the PATH's.
prometheus-tools: ## fetch promtool and amtool into .tools/bin unless they are there or on the PATH
	$(PYTHON) tools/prometheus_tools.py

test: install checkov prometheus-tools ## run the whole test suite (what CI runs)
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(BIN)/python -m pytest -n auto

plan: install ## offline plan of STACK (default dev) into build/STACK; prints a summary (ARGS="--stack-file F --out D")
	$(BIN)/python -m tools.plan --stack $(STACK) $(ARGS)

# Capacity table of a model across GPUs and tensor-parallel sizes: make capacity MODEL=Qwen/Qwen3-32B [ARGS="--max-model-len 32768"];
# a model outside the catalog: make capacity MODEL=my-org/my-model ARGS="--config config.json"
MODEL ?= Qwen/Qwen3-8B
capacity: install ## capacity table of MODEL across GPUs and TP sizes (ARGS for more flags)
	$(BIN)/python -m tools.capacity $(MODEL) $(ARGS)

# Planning time for stacks of 1, 10 and 50 models (a benchmark, not a test).
bench: install ## planning time for stacks of 1, 10 and 50 models
	$(BIN)/python -m tools.bench

# Re-record the reviewed plan snapshots after an intended change; review the diff before committing.
snapshots: install ## re-record tests/snapshots after an intended change (review the diff)
	UPDATE_SNAPSHOTS=1 $(BIN)/python -m pytest tests/stacks -q

# JSON Schema of stack files, generated from the config model (editors read it through the files' modeline).
schema: install ## regenerate schema/stack.schema.json from the config model
	$(BIN)/python -m tools.schema

# The policy pack's own environment (Pulumi runs policy/__main__.py with policy/venv).
policy/venv/.installed: policy/requirements.txt
	$(PYTHON) -m venv policy/venv
	policy/venv/bin/pip install --quiet -r policy/requirements.txt
	touch $@

preview: pulumi-cli install policy/venv/.installed ## pulumi preview of STACK with the policy pack
	pulumi preview --stack $(STACK) --diff --policy-pack policy

up: pulumi-cli install policy/venv/.installed ## deploy STACK for real (pulumi up with the policy pack)
	pulumi up --stack $(STACK) --policy-pack policy

# After `make up`: check the deployment from the outside (certificate, /v1/models per tenant, a streamed
# completion per model, 401, 403, 429). ARGS="--connect-to 127.0.0.1:8443 --ca llmstack-ca.crt" for a port-forward.
verify: pulumi-cli install ## check a deployed STACK from the outside, as a client would (pass/fail table)
	$(BIN)/python -m tools.verify --stack $(STACK) $(ARGS)

# The dev stack end to end on a local kind cluster (tools/e2e.sh): what the e2e-kind workflow runs.
e2e: pulumi-cli install policy/venv/.installed ## dev stack on a local kind cluster: up, verify, destroy (KEEP=1 keeps it)
	bash tools/e2e.sh $(STACK)

# Checked first, before any setup work: preview and up need the Pulumi CLI.
pulumi-cli:
	@command -v pulumi >/dev/null || { echo "make: the Pulumi CLI is needed for this target and is not on the PATH: install it from https://www.pulumi.com/docs/install/"; exit 1; }

clean: ## remove build/, the virtual environments and the policy pack's venv
	rm -rf build $(VENV) $(CHECKOV_VENV) policy/venv
