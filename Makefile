# Two entry points for a fresh clone; both set themselves up (a venv in ./venv, as Pulumi.yaml uses).
#   make render   offline render + checks of every stack (no cluster, no Pulumi CLI)
#   make test     the test suite
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin

.PHONY: render test golden setup

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

render: setup
	$(BIN)/modelfleet schema --check
	$(BIN)/modelfleet render
	$(BIN)/modelfleet check
	@if command -v kubectl >/dev/null; then \
		for env in rendered/*/; do kubectl kustomize "$$env" >/dev/null && echo "kubectl kustomize $$env: ok" || exit 1; done; \
	else echo "kubectl not found: skipped the kustomize build of rendered/"; fi

test: setup
	$(BIN)/python -m pytest -q

golden: setup
	$(BIN)/python -m tests.golden --update
