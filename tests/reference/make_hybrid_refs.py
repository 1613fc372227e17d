"""NEURON 9's hybrid 1D/3D rxd on a ball and stick, for tests/rxd/test_hybrid.py (oracle
only; the project never imports NEURON).

Run from the repository root with the NEURON venv (NEURON 9.0.2, ``make neuron-venv``)::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python tests/reference/make_hybrid_refs.py

(~10 s). rxd keeps global state, so each case runs in its own child process
(``... make_hybrid_refs.py --job NAME``, which prints one JSON line); the parent writes
``tests/reference/data/rxd_hybrid_neuron.npz`` with a ``meta`` entry (a JSON string: NEURON
version, the model, and what every array is).

The cell (:func:`build`): a soma along x, pt3d (0, 0, 0, 10) -> (10, 0, 0, 10), solved in
3D (``rxd.set_solve_type([soma], dimension=3)``); a dendrite pt3d (10, 0, 0, 1) ->
(110, 0, 0, 1), nseg 51, on soma(1), left 1D. One region ``Region([soma, dend],
nrn_region='i', dx=0.5)``, ``Species(d=D, name='c', charge=0)`` with D = 20 um2/ms (not
calcium's 0.6, so that the pulse reaches the far end of the 100 um dendrite within the
100 ms recorded: sqrt(2 D t) = 63 um), initially 1 mM in the soma and BASE mM in the
dendrite. No membrane mechanisms (an uncharged species: nothing couples to the membrane).

NEURON's voxel volumes are low (its soma holds 2.9 % less volume than the cylinder at
dx = 0.5, 1.3 % at 0.25; docs/geometry.md), so concentrations are compared divided
by their final uniform level ``ceq`` = total amount / total volume, each simulator with
its own volumes.

Cases: ``dt025`` (dt = 0.025 ms, the tests' step) and ``dt0125`` (dt = 0.0125 ms: NEURON's
own time-step error, its fixed step being first order with an explicit 1D/3D coupling).
Recorded every 2 ms to 100 ms: ``<case>_dend`` (51 dendrite nodes / ceq, shape (51, 51):
time by node, node k at x = (k + 0.5) / 51), ``<case>_soma`` (the soma's volume-weighted
mean / ceq) and ``<case>_mass`` (total amount / initial - 1).
"""

import json
import os
import subprocess
import sys
import time

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "rxd_hybrid_neuron.npz")
DX = 0.5
D = 20.0
BASE = 1e-4
TIMES = np.arange(0.0, 100.0 + 1e-9, 2.0)
CASES = {"dt025": 0.025, "dt0125": 0.0125}


def build(h):
    """The soma (3D) and the dendrite (1D) as sections with 3-D points; the same calls
    serve our side in the tests (``Simulation.Section`` has NEURON's pt3dadd)."""
    soma = h.Section(name="soma")
    soma.pt3dadd(0, 0, 0, 10)
    soma.pt3dadd(10, 0, 0, 10)
    dend = h.Section(name="dend")
    dend.nseg = 51
    dend.pt3dadd(10, 0, 0, 1)
    dend.pt3dadd(110, 0, 0, 1)
    dend.connect(soma(1))
    return soma, dend


def job(name):
    from neuron import h, rxd

    h.load_file("stdrun.hoc")
    soma, dend = build(h)
    rxd.set_solve_type([soma], dimension=3)
    cyt = rxd.Region([soma, dend], nrn_region="i", dx=DX)
    c = rxd.Species(cyt, d=D, name="c", charge=0, initial=lambda nd: 1.0 if nd.sec == soma else BASE)
    h.dt = CASES[name]
    h.finitialize(-65)
    nodes = c.nodes
    V = np.array([n.volume for n in nodes])
    in_soma = np.array([n.sec == soma for n in nodes])
    dn = c.nodes(dend)
    x = np.array([n.x for n in dn])
    order = np.argsort(x)
    M0 = float((np.array(nodes.concentration) * V).sum())
    ceq = M0 / V.sum()
    out = {"dend": [], "soma": [], "mass": []}
    t0 = time.perf_counter()
    for T in TIMES:
        if T > 0:
            h.continuerun(T)
        cc = np.array(nodes.concentration)
        out["dend"].append((np.array(dn.concentration)[order] / ceq).tolist())
        out["soma"].append(float((cc[in_soma] * V[in_soma]).sum() / V[in_soma].sum() / ceq))
        out["mass"].append(float((cc * V).sum() / M0 - 1.0))
    out["seconds"] = time.perf_counter() - t0
    out["voxels"] = int(in_soma.sum())
    out["soma_volume_um3"] = float(V[in_soma].sum())
    out["dend_volume_um3"] = float(V[~in_soma].sum())
    out["dend_x"] = x[order].tolist()
    out["neuron_version"] = h.nrnversion()
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--job":
        print(json.dumps(job(sys.argv[2])))
        return 0
    arrays, meta = {"t": TIMES}, {
        "description": __doc__,
        "dx_um": DX, "d_um2_per_ms": D, "base_mM": BASE, "method": "fixed step",
        "arrays": {"t": f"recording times [ms], shape ({len(TIMES)},)"},
    }
    for name, dt in CASES.items():
        res = subprocess.run([sys.executable, __file__, "--job", name], capture_output=True, text=True, check=True)
        out = json.loads(res.stdout.strip().splitlines()[-1])
        meta["neuron_version"] = out.pop("neuron_version")
        meta[name] = {k: out.pop(k) for k in ("seconds", "voxels", "soma_volume_um3", "dend_volume_um3", "dend_x")}
        meta[name]["dt_ms"] = dt
        for k, v in out.items():
            arrays[f"{name}_{k}"] = np.array(v)
        meta["arrays"][f"{name}_dend"] = "dendrite nodes / ceq, shape (time, node), nodes in x order"
        meta["arrays"][f"{name}_soma"] = "soma volume-weighted mean / ceq, shape (time,)"
        meta["arrays"][f"{name}_mass"] = "total amount / initial - 1, shape (time,)"
    np.savez_compressed(OUT, meta=json.dumps(meta), **arrays)
    print(f"wrote {OUT}: " + ", ".join(f"{k}: {meta[k]['seconds']:.1f} s, {meta[k]['voxels']} voxels" for k in CASES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
