"""Time reference models in NEURON (oracle only; the project never imports NEURON).

Run from the repository root with the NEURON venv (NEURON 9.0.2, ``make neuron-venv``)::

    .venv-neuron/bin/python bench/neuron_cable.py

Prints exactly one line of JSON to stdout, e.g.
{"neuron_version": "9.0.2", "hh_soma_s": ..., "hh_soma_steps": ..., "cable1000_s": ...,
 "cable1000_steps": ..., "cable1000_per_step_us": ...}
Times are wall seconds (time.perf_counter) around ``h.finitialize(-65);
h.continuerun(tstop)``, best of 3 repeats.  Fixed step backward Euler, dt 0.025.

Models
  hh_soma:   soma nseg=1, L=diam=10 um, hh; IClamp soma(0.5) delay 50 dur 200 amp 0.1; tstop 300.
  cable1000: soma L=diam=20 um, hh; dend L=1000 um, diam=2 um, nseg=1000, pas g=1e-4 e=-65,
             Ra=100, cm=1 (both), dend(0) -> soma(1); IClamp soma(0.5) delay 10 dur 80 amp 0.5;
             tstop 100.
"""

import json
import os
import sys
import time

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

import neuron  # noqa: E402
from neuron import h  # noqa: E402

h.load_file("stdrun.hoc")

DT = 0.025
REPEATS = 3


def build_hh_soma():
    soma = h.Section(name="soma")
    soma.nseg = 1
    soma.diam = 10.0
    soma.L = 10.0
    soma.insert("hh")
    ic = h.IClamp(soma(0.5))
    ic.delay, ic.dur, ic.amp = 50.0, 200.0, 0.1
    return [soma, ic], 300.0


def build_cable1000():
    soma = h.Section(name="soma")
    soma.L = soma.diam = 20.0
    soma.insert("hh")
    dend = h.Section(name="dend")
    dend.L = 1000.0
    dend.diam = 2.0
    dend.nseg = 1000
    dend.insert("pas")
    for seg in dend:
        seg.pas.g = 1e-4
        seg.pas.e = -65.0
    for sec in (soma, dend):
        sec.Ra = 100.0
        sec.cm = 1.0
    dend.connect(soma(1), 0)
    ic = h.IClamp(soma(0.5))
    ic.delay, ic.dur, ic.amp = 10.0, 80.0, 0.5
    return [soma, dend, ic], 100.0


def bench(builder):
    objs, tstop = builder()
    h.cvode.active(0)
    h.secondorder = 0
    h.dt = DT
    h.steps_per_ms = 1.0 / DT
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        h.finitialize(-65)
        h.continuerun(tstop)
        best = min(best, time.perf_counter() - t0)
    steps = int(round(tstop / DT))
    del objs
    return best, steps


def main():
    hh_s, hh_steps = bench(build_hh_soma)
    c_s, c_steps = bench(build_cable1000)
    out = {
        "neuron_version": neuron.__version__,
        "method": "fixed step backward Euler, dt=0.025, best of 3",
        "hh_soma_s": hh_s,
        "hh_soma_steps": hh_steps,
        "cable1000_s": c_s,
        "cable1000_steps": c_steps,
        "cable1000_per_step_us": c_s / c_steps * 1e6,
    }
    sys.stdout.flush()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
