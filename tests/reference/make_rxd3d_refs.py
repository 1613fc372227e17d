"""NEURON 9's 3-D rxd on a cylinder and a Y, for tests/rxd/test_rxd3d.py (oracle only; the
project never imports NEURON).

Run from the repository root with the NEURON venv (NEURON 9.0.2, ``make neuron-venv``)::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python tests/reference/make_rxd3d_refs.py

(~10 s). rxd keeps global state, so each case runs in its own child process
(``... make_rxd3d_refs.py --job NAME``, which prints one JSON line); the parent writes
``tests/reference/data/rxd3d_neuron.npz`` with a ``meta`` entry (a JSON string: NEURON
version, the models, and what every array is).

NEURON's voxel volumes are low by 7 % for this cylinder at dx = 0.25 (see docs/geometry.md),
so only quantities that do not depend on the total volume are compared: concentrations
divided by their final, uniform value (total amount / total volume, each simulator with its
own volumes), averaged over the voxels of a region of space with each voxel's volume as
weight.

Cases (d = 1 um2/ms, fixed step dt = 0.025 ms, ``rxd.set_solve_type(dimension=3)``,
``Region(secs, nrn_region='i', dx=0.25)``, ``Species(d=1, charge=0)``):

cylinder
    pt3d (0, 0, 0, 2) -> (20, 0, 0, 2); initial 1 mM in voxels whose centre has x < 2 um,
    else 0. Recorded every 2 ms to 200 ms: ``cylinder_far`` (x > 18) and ``cylinder_near``
    (x < 2) normalized means, and ``cylinder_mass`` (total amount / initial - 1).
y
    parent (-10, 0, 0, 2) -> (0, 0, 0, 2); children from (0, 0, 0, 2) to
    10 (cos 60, +-sin 60, 0) with diam 2, on parent(1). Initial 1 mM where x < -8 um.
    Recorded every 2 ms to 200 ms: ``y_child_plus`` and ``y_child_minus`` (voxel centres
    farther than 8 um from the origin along each child's direction) and ``y_parent_far``
    (x < -8) normalized means, and ``y_mass``.
"""

import json
import math
import os
import subprocess
import sys
import time

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "rxd3d_neuron.npz")
DX = 0.25
D = 1.0
DT = 0.025
TIMES = np.arange(0.0, 200.0 + 1e-9, 2.0)
U_PLUS = np.array([math.cos(math.pi / 3), math.sin(math.pi / 3), 0.0])
U_MINUS = np.array([math.cos(math.pi / 3), -math.sin(math.pi / 3), 0.0])


def masks(name, xyz):
    """Regions of space whose normalized mean concentration is recorded (voxel centres
    xyz (n, 3) [um]); the same function serves our side in the tests."""
    if name == "cylinder":
        return {"far": xyz[:, 0] > 18.0, "near": xyz[:, 0] < 2.0}
    return {"child_plus": xyz @ U_PLUS > 8.0, "child_minus": xyz @ U_MINUS > 8.0, "parent_far": xyz[:, 0] < -8.0}


def pulse(name, xyz):
    """Initial concentration [mM] at voxel centres."""
    return np.where(xyz[:, 0] < (2.0 if name == "cylinder" else -8.0), 1.0, 0.0)


def build(h, name):
    if name == "cylinder":
        s = h.Section(name="cyl")
        s.pt3dadd(0, 0, 0, 2)
        s.pt3dadd(20, 0, 0, 2)
        return [s]
    parent = h.Section(name="parent")
    parent.pt3dadd(-10, 0, 0, 2)
    parent.pt3dadd(0, 0, 0, 2)
    secs = [parent]
    for sign in (1, -1):
        kid = h.Section(name=f"child{sign:+d}")
        kid.pt3dadd(0, 0, 0, 2)
        kid.pt3dadd(10 * math.cos(math.pi / 3), sign * 10 * math.sin(math.pi / 3), 0, 2)
        kid.connect(parent(1))
        secs.append(kid)
    return secs


def job(name):
    from neuron import h, rxd

    h.load_file("stdrun.hoc")
    secs = build(h, name)
    rxd.set_solve_type(dimension=3)
    cyt = rxd.Region(secs, nrn_region="i", dx=DX)
    c = rxd.Species(cyt, d=D, name="c", charge=0,
                    initial=lambda nd: float(pulse(name, np.array([[nd.x3d, nd.y3d, nd.z3d]]))[0]))
    h.dt = DT
    h.finitialize(-65)
    nodes = c.nodes
    xyz = np.array([[n.x3d, n.y3d, n.z3d] for n in nodes])
    V = np.array([n.volume for n in nodes])
    m = masks(name, xyz)
    c0 = np.array(nodes.concentration)
    M0 = float((c0 * V).sum())
    ceq = M0 / V.sum()
    out = {k: [] for k in m}
    out["mass"] = []
    t0 = time.perf_counter()
    for T in TIMES:
        if T > 0:
            h.continuerun(T)
        cc = np.array(nodes.concentration)
        for k, sel in m.items():
            out[k].append(float((cc[sel] * V[sel]).sum() / V[sel].sum() / ceq))
        out["mass"].append(float((cc * V).sum() / M0 - 1.0))
    out["seconds"] = time.perf_counter() - t0
    out["voxels"] = len(nodes)
    out["volume_um3"] = float(V.sum())
    out["neuron_version"] = h.nrnversion()
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--job":
        print(json.dumps(job(sys.argv[2])))
        return 0
    arrays, meta = {"t": TIMES}, {
        "description": __doc__,
        "dx_um": DX, "d_um2_per_ms": D, "dt_ms": DT, "method": "fixed step",
        "arrays": {"t": "recording times [ms], shape (101,)"},
    }
    for name in ("cylinder", "y"):
        res = subprocess.run([sys.executable, __file__, "--job", name], capture_output=True, text=True, check=True)
        out = json.loads(res.stdout.strip().splitlines()[-1])
        meta["neuron_version"] = out.pop("neuron_version")
        meta[name] = {k: out.pop(k) for k in ("seconds", "voxels", "volume_um3")}
        for k, v in out.items():
            arrays[f"{name}_{k}"] = np.array(v)
            meta["arrays"][f"{name}_{k}"] = ("mass: total amount / initial - 1" if k == "mass" else
                                             f"normalized mean concentration in '{k}' (see masks())") + ", shape (101,)"
    np.savez_compressed(OUT, meta=json.dumps(meta), **arrays)
    print(f"wrote {OUT}: " + ", ".join(f"{k}: {meta[k]}" for k in ("cylinder", "y")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
