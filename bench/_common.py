"""Helpers shared by the bench scripts: best-of-N timing and running NEURON's side."""

import json
import pathlib
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
NEURON_PYTHON = ROOT / ".venv-neuron" / "bin" / "python"


def best_of(fn, repeats=3):
    """Smallest wall time [s] of ``repeats`` calls of ``fn()``."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def neuron_figures(script, *args):
    """Run ``bench/<script> [args]`` in the NEURON venv and return its JSON line, or None
    when the venv does not exist (``make neuron-venv`` creates it)."""
    if not NEURON_PYTHON.exists():
        return None
    cmd = [str(NEURON_PYTHON), str(ROOT / "bench" / script), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
