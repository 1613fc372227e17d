# Two entry points (see README): `make demo` and `make test`.
# Each creates .venv with what it needs; only Python 3.11 and the package registry are required.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

.PHONY: demo test test-all bench neuron-venv
demo: $(VENV)/.installed
	$(PY) examples/hh_soma.py --out out/hh_soma.png

test: $(VENV)/.installed
	$(PY) -m pytest -q

test-all: $(VENV)/.installed
	$(PY) -m pytest -q -m ''

bench: $(VENV)/.installed
	for f in bench/bench_*.py; do $(PY) $$f; done

# The NEURON oracle lives in its own venv; the project never imports it.
neuron-venv:
	$(PYTHON) -m venv .venv-neuron
	.venv-neuron/bin/python -m pip install --quiet neuron==9.0.2 numpy
