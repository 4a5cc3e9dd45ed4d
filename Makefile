# Entry points (see README.md). Users and scripts rely on these names.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY      := .venv/bin/python
PYTEST  := .venv/bin/pytest
TARGET  ?= emulator
ENVS    := $(wildcard environments/*)
PYTEST_ARGS ?=
OLDER_THAN ?= 6h
ENV     ?= dev

export TARGET

.PHONY: help setup toolchain validate fmt unit component gate evidence integration test up down drift sweep bench lint docs

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## virtual environments (.venv, .venv-checkov, .venv-prowler), Debian packages (MariaDB, sshd, Chromium), offline toolchain
	./scripts/setup.sh

toolchain: ## find or build the CLI and providers; print versions
	$(PY) -m harness.toolchain.locate

fmt: ## format HCL in place
	$(PY) -m harness.validate --fmt

validate: ## fmt -check, then init -backend=false + validate in every environment
	$(PY) -m harness.validate

lint: ## ruff, and tflint (with the AWS ruleset) over every module and environment
	.venv/bin/ruff check .
	.venv/bin/ruff format --check harness app tests bench
	@tflint=$$($(PY) -c 'from harness.toolchain.locate import tool_binary as t; print(t("tflint"))') && \
	export TFLINT_PLUGIN_DIR=$$($(PY) -c 'from harness.toolchain.locate import tool_binary as t; print(t("tflint-ruleset-aws").parent)') && \
	for d in modules environments; do \
	  echo "tflint $$d/" && $$tflint --recursive --chdir=$$d --config="$(CURDIR)/.tflint.hcl" --format=compact || exit 1; \
	done

docs: ## module and environment READMEs from the code (terraform-docs, .terraform-docs.yml)
	@tfdocs=$$($(PY) -c 'from harness.toolchain.locate import tool_binary as t; print(t("terraform-docs"))') && \
	for d in modules/* environments/*; do \
	  [ -f $$d/main.tf ] || continue; $$tfdocs $$d >/dev/null && echo "docs $$d" || exit 1; \
	done

unit: ## pytest tests/unit: no cloud, no server, no container
	$(PYTEST) tests/unit -n 2 --dist loadgroup $(PYTEST_ARGS)

component: ## pytest tests/component: the app and the harness against local servers (MariaDB, moto, gunicorn, sshd) and booted instances; no stack
	$(PYTEST) tests/component -n 2 --dist loadgroup $(PYTEST_ARGS)

gate: ## the checkov security gate (console, JUnit XML, SARIF under reports/gate) and its evidence (reports/evidence)
	$(PY) -m harness.gate

evidence: ## the compliance evidence again from the last gate run, integration JUnit and Prowler scan (reports/evidence)
	$(PY) -m harness.compliance

INTEGRATION_MARKS := $(if $(filter aws,$(TARGET)),integration and not emulator_only,integration)

integration: ## the lifecycle suite; TARGET=emulator (default) or TARGET=aws
	$(PYTEST) tests/integration --dist loadgroup -m "$(INTEGRATION_MARKS)" --junitxml=reports/integration-$(TARGET).xml $(PYTEST_ARGS)

test: setup validate lint gate ## everything CI runs: setup, validate, lint, gate, then unit + component + integration on the emulator, then the evidence
	$(PYTEST) tests -n 2 --dist loadgroup --junitxml=reports/tests.xml $(PYTEST_ARGS); \
	rc=$$?; $(PY) -m harness.compliance || [ $$rc -ne 0 ] || rc=1; exit $$rc

up: ## the whole stack and the app on the emulator, left running for a person
	$(PY) -m harness.stack.up up

down: ## destroy what `make up` made and stop everything
	$(PY) -m harness.stack.up down

drift: ## a deployed environment against its state: each drifted attribute with its controls (reports/drift/drift.json); TARGET=emulator (the `make up` stack) or aws (ENV=dev|prod, TF_BACKEND_CONFIG); exit 0 none, 2 drift, 1 no verdict
	$(PY) -m harness.compliance.drift_cli --target $(TARGET) --env $(ENV)

sweep: ## delete leftovers tagged by the suite older than OLDER_THAN (TARGET=emulator|aws); emulator: also instance containers and disks, and network namespaces of dead owners
	$(if $(filter emulator,$(TARGET)),$(PY) -m harness.instances.sweep --older-than $(OLDER_THAN))
	$(if $(filter emulator,$(TARGET)),$(PY) -m harness.network.sweep)
	$(PY) -m harness.sweeper.sweep --target $(TARGET) --older-than $(OLDER_THAN)

bench: ## the benchmarks, printing their figures
	$(PY) bench/run_all.py
