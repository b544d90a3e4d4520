# One entry point for people and CI: `make lab` runs `lab check`, `make test` runs every check.
# Both install what they need first: Debian packages when missing (scripts/install-deps)
# and a virtualenv in .venv with the package and its test extras.

# Debian's own python3 first: a venv built on it works for every user of the machine.
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
PYTEST_ARGS ?=

INSTALL_DEPS := scripts/install-deps
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.PHONY: help deps kernels venv lab test test-vm lint bench chaos repeat clean FORCE

help: ## List the targets (the default).
	@echo "Usage: make TARGET   (PYTEST_ARGS='...' passes options to pytest)"
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / { printf "  %-7s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

deps: ## Install the Debian packages that are missing (needs root only if some are).
	$(INSTALL_DEPS)

SMOKE_KERNEL ?= 6.1

kernels: $(STAMP) ## Other kernels: qemu, busybox, kmod (install-deps --vm) and kernel 6.1 fetched (the smoke test's).
	$(INSTALL_DEPS) --vm
	$(BIN)/lab kernels fetch $(SMOKE_KERNEL)

venv: $(STAMP) ## Create .venv and install the package with its test extras.

# A venv whose python cannot import pip (copied from another machine, made
# before python3-venv was installed, python upgraded) is rebuilt even if the
# stamp looks fresh. Expanded only when make looks at the stamp.
venv_healthy = $(shell $(BIN)/python -c 'import pip' >/dev/null 2>&1 && echo yes)

.SECONDEXPANSION:
$(STAMP): pyproject.toml $$(if $$(venv_healthy),,FORCE) | deps
	@if ! $(BIN)/python -c 'import pip' >/dev/null 2>&1; then \
	    echo "Creating $(VENV) with $(PYTHON)"; \
	    rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

FORCE:

EXAMPLE_NOTE := examples/notes/tcp-connection.md

lab: $(STAMP) ## The main job: verify lab's TCP tables, then an example study note, on this kernel.
	$(BIN)/lab check
	$(BIN)/lab check $(EXAMPLE_NOTE)

test: lint kernels ## Everything: ruff, mypy, then pytest -n 2 (the CI job; boots one kernel once).
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test-vm: kernels ## The tests that boot other kernels under qemu (make test runs one of them).
	$(BIN)/pytest -n 2 --vm -m vm $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint and format check), mypy, and the import layers (lint-imports).
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(STAMP) ## Benchmarks: topology builds, reading 100 notes, checking a note, lab check side by side.
	$(BIN)/python scripts/bench_build.py
	$(BIN)/python scripts/bench_notes.py
	$(BIN)/python scripts/bench_note_check.py
	$(BIN)/python scripts/bench_check.py

chaos: $(STAMP) ## Reliability: kill the suite, and lab programs' starters, at random; count leftovers.
	$(BIN)/python scripts/chaos.py
	$(BIN)/python scripts/killed_parent.py

repeat: $(STAMP) ## Run lab check 20 times in a row and count the passes (scripts/repeat.py).
	$(BIN)/python scripts/repeat.py --times 20 -- $(BIN)/lab check

clean: ## Remove .venv and tool caches.
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
