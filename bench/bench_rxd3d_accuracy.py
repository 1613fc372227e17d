"""3D rxd at equal accuracy: our fixed step (second order) against NEURON 9's (first order).

Run:  python bench/bench_rxd3d_accuracy.py      (about 3 min; NEURON's side about 3 min)

bench_rxd3d.py compares the wall time of one step at dt = 0.025 ms. A second-order step
reaches NEURON's accuracy at a longer dt, so this script also compares the cost of a
simulated millisecond at the same time-stepping error. The model of bench_rxd3d.py (``ca``,
d = 0.6 um2/ms, 1 mM in the voxels within 2 um along x of the first, else 1e-4, a pump
``Rate(ca, -0.1 (ca - 1e-4))``) on the cylinder (L 20, diam 2, dx 0.25) and on mp_ma
(../shared/morphologies, dx 0.5), run to T = 10 ms at each dt of DTS and at DT_REF, by
ours (default method "auto") and by NEURON (bench/neuron_rxd3d_accuracy.py in .venv-neuron,
same model).

``err``: max over voxels of |c(dt) - c(DT_REF)| at T over max c(DT_REF), each simulator
against its own fine-step solution (the spatial discretizations differ; NEURON's volumes
are 2-17 % low). Against DT_REF = dt/8 the estimate is low by 1/8 for a first-order method
and by 1/64 for a second-order one: in NEURON's favour. ``step_s``: mean wall time of a step
over the run. Prints ONE JSON line; per shape ``ours`` and ``neuron`` (dt, err, step_s), and
``equal_accuracy``: NEURON's error at dt 0.025, the cheapest of our dts (wall time per
simulated ms) whose error is at most that, and the wall time per simulated ms of both there,
with the ratio ours / NEURON.
"""

import json
import sys
import time

import numpy as np
from _common import ROOT, neuron_figures

import rxd
from cable import Simulation
from geometry import load_swc
from rxd._system import system_for

T = 10.0
DTS = (0.025, 0.05, 0.1, 0.2)
DT_REF = 0.025 / 8
MP_MA = ROOT.parent / "shared" / "morphologies" / "mp_ma_40984_gc2.CNG.swc"


def cylinder(sim):
    s = sim.Section("cyl")
    s.pt3dadd(0, 0, 0, 2)
    s.pt3dadd(20, 0, 0, 2)
    return [s]


SHAPES = {"cylinder": (cylinder, 0.25), "mp_ma": (lambda sim: load_swc(MP_MA, sim=sim), 0.5)}


def run(shape, dt):
    """(concentrations at T, mean step [s]) of our fixed step at ``dt``."""
    make, dx = SHAPES[shape]
    sim = Simulation(dt=dt)
    secs = make(sim)
    cyt = rxd.Region(secs, nrn_region="i", dimension=3, dx=dx)
    ca = rxd.Species(cyt, d=0.6, name="ca", charge=2, initial=1e-4)
    rxd.Rate(ca, -0.1 * (ca - 1e-4))
    sim.finitialize(-65)
    system = system_for(sim)
    data = system._disc(ca[cyt])
    arr, start = system.storage(ca[cyt], 0)
    x = data.xyz[:, 0]
    arr[start : start + data.n] = np.where(x < x.min() + 2.0, 1.0, 1e-4)  # as NEURON's side
    n = int(round(T / dt))
    t0 = time.perf_counter()
    for _ in range(n):
        sim.fadvance()
    step = (time.perf_counter() - t0) / n
    return arr[start : start + data.n].copy(), step


def equal_accuracy(ours, theirs):
    """Our cheapest dt with an error at most NEURON's at its first dt, and the cost of a
    simulated ms of both there [s/ms]."""
    target = theirs["err"][0]
    ok = [k for k, e in enumerate(ours["err"]) if e <= target]
    out = {"neuron_dt": theirs["dt"][0], "neuron_err": target,
           "neuron_s_per_ms": theirs["step_s"][0] / theirs["dt"][0]}
    if ok:
        k = min(ok, key=lambda k: ours["step_s"][k] / ours["dt"][k])
        out.update(ours_dt=ours["dt"][k], ours_err=ours["err"][k], ours_s_per_ms=ours["step_s"][k] / ours["dt"][k])
        out["ratio"] = out["ours_s_per_ms"] / out["neuron_s_per_ms"]
    return out


def main():
    line = {"bench": "rxd3d_accuracy", "T_ms": T, "dt_ref": DT_REF}
    ref = neuron_figures("neuron_rxd3d_accuracy.py")  # NEURON first, alone on the machine
    for shape in SHAPES:
        if shape == "mp_ma" and not MP_MA.exists():
            continue
        c_ref, _ = run(shape, DT_REF)
        scale = np.abs(c_ref).max()
        runs = [run(shape, dt) for dt in DTS]
        ours = {"voxels": len(c_ref), "dt": list(DTS),
                "err": [float(np.abs(c - c_ref).max() / scale) for c, _ in runs],
                "step_s": [s for _, s in runs]}
        entry = {"ours": ours}
        if ref is not None and shape in ref:
            entry["neuron"] = ref[shape]
            entry["equal_accuracy"] = equal_accuracy(ours, ref[shape])
        line[shape] = entry
    if ref is not None:
        line["neuron_version"] = ref["neuron_version"]
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
