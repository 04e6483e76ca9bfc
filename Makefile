# Two commands do everything on a fresh clone:
#   make demo   creates .venv, installs the suite, and runs the bundled models on the examples
#   make test   creates .venv if needed and runs all the tests (what CI runs); make test-fast skips the slow ones
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-fast test-all bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	# the torch stack first, pinned together (torchaudio 2.9 has no newer matching torch)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.9.1 torchvision==0.24.1
	$(PY) -m pip install -q --disable-pip-version-check torch==2.9.1 torchaudio==2.9.1
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash scripts/demo.sh

test: setup
	$(PY) -m pytest -q

# the development loop: everything but the tests marked slow (under 2 minutes on an idle 2-core machine)
test-fast: setup
	$(PY) -m pytest -q -m 'not slow'

test-all: test

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) runs .pytest_cache
