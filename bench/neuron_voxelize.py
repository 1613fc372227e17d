"""NEURON 9's 3-D rxd voxelization of a cylinder and a Y (oracle only; the project never
imports NEURON).

Run from the repository root with the NEURON venv (NEURON 9.0.2, ``make neuron-venv``)::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python bench/neuron_voxelize.py

Prints exactly one line of JSON to stdout:
{"neuron_version": ..., "cylinder_dx0.25": {"s": ..., "volume_um3": ..., "area_um2": ...,
 "voxels": ...}, "cylinder_dx0.5": {...}, "y_dx0.25": {...}, "y_dx0.5": {...}}

Shapes (the same as ``tests/geometry/test_voxelize.py``):
  cylinder  one section, pt3d (0,0,0,2) -> (20,0,0,2): L = 20 um, diam = 2 um;
  y         parent (-10,0,0,2) -> (0,0,0,2); two children from (0,0,0,2) to
            10 (cos 60, +-sin 60, 0) with diam 2, connected to parent(1).
Each case runs in a fresh process: ``rxd.set_solve_type(dimension=3)``, a Region over the
sections with ``nrn_region='i'`` and the given dx, one Species, ``h.finitialize(-65)``.
``s`` is the wall time [s] from creating the Region to the end of finitialize (NEURON
voxelizes there), best of 3 fresh processes; ``volume_um3`` and ``area_um2`` are the sums
of ``node.volume`` and ``node.surface_area`` over the species' nodes.
"""

import json
import math
import os
import subprocess
import sys
import time

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
REPEATS = 3
CASES = [("cylinder", 0.25), ("cylinder", 0.5), ("y", 0.25), ("y", 0.5)]


def build(h, shape):
    if shape == "cylinder":
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


def one(shape, dx):
    from neuron import h, rxd

    h.load_file("stdrun.hoc")
    secs = build(h, shape)
    rxd.set_solve_type(dimension=3)
    t0 = time.perf_counter()
    cyt = rxd.Region(secs, nrn_region="i", dx=dx)
    ca = rxd.Species(cyt, d=1, initial=1, name="ca", charge=2)
    h.finitialize(-65)
    elapsed = time.perf_counter() - t0
    nodes = ca.nodes
    return {"s": elapsed, "volume_um3": float(sum(n.volume for n in nodes)),
            "area_um2": float(sum(n.surface_area for n in nodes)), "voxels": len(nodes),
            "neuron_version": h.nrnversion()}


def main():
    if len(sys.argv) == 3:  # child: one case in a fresh NEURON
        print(json.dumps(one(sys.argv[1], float(sys.argv[2]))))
        return 0
    out = {}
    for shape, dx in CASES:
        runs = []
        for _ in range(REPEATS):
            res = subprocess.run([sys.executable, __file__, shape, str(dx)], capture_output=True, text=True,
                                 check=True)
            runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["s"])
        out["neuron_version"] = best.pop("neuron_version")
        out[f"{shape}_dx{dx}"] = best
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
