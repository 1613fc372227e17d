"""NEURON 9's 3-D rxd fixed step at several dt, for bench_rxd3d_accuracy.py (oracle only;
the project never imports NEURON).

Run from the repository root with the NEURON venv (NEURON 9.0.2, ``make neuron-venv``)::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python bench/neuron_rxd3d_accuracy.py

The model of bench_rxd3d.py (``ca``, d = 0.6 um2/ms, 1 mM in the voxels within 2 um along x of the first, else 1e-4, a pump
``Rate(ca, -0.1 (ca - 1e-4))``) on the cylinder (L 20, diam 2, dx 0.25) and on mp_ma
(Import3d, dx 0.5), run to ``T`` ms at each dt of ``DTS`` and at ``DT_REF``, each run in a
fresh process. Prints exactly one line of JSON: per shape ``dt``, ``err`` (max over voxels
of |c(dt) - c(DT_REF)| at T over max c(DT_REF): the time-stepping error, against NEURON's
own fine-step solution) and ``step_s`` (mean wall time of a step over the run).
"""

import json
import os
import subprocess
import sys
import time

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from neuron_rxd3d import build, swc_sections  # noqa: E402

T = 10.0
DTS = (0.025, 0.05, 0.1)
DT_REF = 0.025 / 8
SHAPES = {"cylinder": 0.25, "mp_ma": 0.5}


def one(shape, dt):
    from neuron import h, rxd

    h.load_file("stdrun.hoc")
    secs = swc_sections(h, shape) if shape == "mp_ma" else build(h, shape)
    rxd.set_solve_type(dimension=3)
    cyt = rxd.Region(secs, nrn_region="i", dx=SHAPES[shape])
    ca = rxd.Species(cyt, d=0.6, name="ca", charge=2, initial=1e-4)
    pump = rxd.Rate(ca, -0.1 * (ca - 1e-4))  # kept: NEURON holds reactions weakly (an
    # unreferenced one is dropped and never runs)
    h.dt = dt
    h.finitialize(-65)
    x0 = min(nd.x3d for nd in ca.nodes) + 2.0  # the pulse: the first 2 um of voxels along x
    for nd in ca.nodes:
        if nd.x3d < x0:
            nd.concentration = 1.0
    n = int(round(T / dt))
    t0 = time.perf_counter()
    for _ in range(n):
        h.fadvance()
    step = (time.perf_counter() - t0) / n
    _KEEP.extend([secs, cyt, ca, pump])  # NEURON 9.0.2 aborts (munmap_chunk) freeing mp_ma's 3D region
    return {"step_s": step, "c": list(ca.nodes.concentration), "neuron_version": h.nrnversion()}


_KEEP = []


def main():
    if len(sys.argv) == 3:  # child: one run in a fresh NEURON
        print(json.dumps(one(sys.argv[1], float(sys.argv[2]))), flush=True)
        os._exit(0)  # no teardown of the rxd objects (see _KEEP)
    out = {}
    for shape in SHAPES:
        runs = {}
        for dt in (*DTS, DT_REF):
            res = subprocess.run([sys.executable, __file__, shape, repr(dt)], capture_output=True, text=True, check=True)
            runs[dt] = json.loads(res.stdout.strip().splitlines()[-1])
        out["neuron_version"] = runs[DT_REF]["neuron_version"]
        ref = runs[DT_REF]["c"]
        scale = max(abs(v) for v in ref)
        out[shape] = {
            "voxels": len(ref),
            "dt": list(DTS),
            "err": [max(abs(a - b) for a, b in zip(runs[dt]["c"], ref)) / scale for dt in DTS],
            "step_s": [runs[dt]["step_s"] for dt in DTS],
        }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
