"""Shared test helpers: the NEURON reference loader and spike-time detection."""

import functools
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

REFERENCE_DIR = Path(__file__).resolve().parent / "reference" / "data"
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


@functools.lru_cache(maxsize=None)
def load_reference(name):
    """The arrays of ``tests/reference/data/<name>.npz`` as a dict, with ``meta`` parsed
    from its JSON string. Cached: treat the arrays as read-only."""
    path = REFERENCE_DIR / (name if name.endswith(".npz") else f"{name}.npz")
    with np.load(path) as data:
        out = {k: data[k] for k in data.files}
    out["meta"] = json.loads(str(out["meta"]))
    for a in out.values():
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return out


def upward_crossings(t, v, threshold=0.0):
    """Times [ms] at which ``v`` crosses ``threshold`` [mV] upwards, each linearly
    interpolated between the two samples around it (v[i] < threshold <= v[i+1])."""
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"t and v must be 1-D of equal length, got {t.shape} and {v.shape}")
    i = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


@pytest.fixture(scope="session")
def reference():
    """``reference(name)``: load a NEURON reference file (see :func:`load_reference`)."""
    return load_reference


@pytest.fixture(scope="session")
def spike_times():
    """``spike_times(t, v, threshold=0)``: upward threshold crossings, linearly
    interpolated (see :func:`upward_crossings`)."""
    return upward_crossings


@functools.lru_cache(maxsize=None)
def load_example(name):
    """The module ``examples/<name>.py``, imported by path (examples/ is not a package).
    Cached: one module object per session."""
    path = EXAMPLES_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def example():
    """``example(name)``: the module ``examples/<name>.py`` (see :func:`load_example`)."""
    return load_example
