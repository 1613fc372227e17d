# Thin wrappers around tasks.py (the README's commands need no make).
.PHONY: demo test test-slow bench neuron-venv
demo:
	python3 tasks.py demo

test:
	python3 tasks.py test

test-slow:
	python3 tasks.py test -m slow

bench:
	python3 tasks.py bench

# The NEURON oracle lives in its own venv; the project never imports it.
neuron-venv:
	python3 -m venv .venv-neuron
	.venv-neuron/bin/python -m pip install --quiet neuron==9.0.2 numpy
