# Set-up and everyday commands. `make app` and `make test` each do the whole
# set-up on a fresh machine: a virtual environment in .venv, PyTorch first
# (pinned: an unpinned torch makes pip fetch a multi-GB CUDA build), then this
# package with its test tools, and Chromium for the browser tests.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: app test setup browser bench clean

app: setup
	$(BIN)/ganlab serve

# every lane, two test files at a time: `python -m pytest` alone runs the
# quick one (no browser, notebook or slow tests)
test: setup browser
	@# compile the training kernel once (cached beside the package): the test
	@# processes then load it instead of each compiling it at the same time
	$(BIN)/python -c "from ganlab_panel.engine.backends import compiled; compiled.warm_up(wait=True)"
	$(BIN)/python -m pytest -m "" -n 2 --dist loadfile --durations=10

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Debian's Chromium, driven by Playwright in the browser tests; and nginx, in
# front of two servers in the deployment test (skipped where it cannot install).
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 || \
	  echo "nginx could not be installed: the nginx deployment test will be skipped"

bench: setup
	$(BIN)/python benchmarks/train_speed.py

clean:
	rm -rf $(VENV) ganlab-run .pytest_cache
