"""Geometry benchmark: voxelization and membrane mesh, and NEURON 9's 3-D voxelization.

Run:  python bench/bench_geometry.py   (NEURON's side needs .venv-neuron: make neuron-venv)

Prints one line of JSON:
  vox_<cell>_dx<dx>_s   wall time [s] of ``voxelize`` for the shared morphologies
                        (tc200: 204 sections, mp_ma: 29) at dx = 0.25 and 0.5 um, after
                        ``load_swc``; ``..._voxels`` the voxel count;
  mesh_<cell>_dx<dx>_s  wall time [s] of ``membrane_mesh`` at the same dx;
  <shape>_dx<dx>        for the cylinder (L = 20, diam = 2 um) and the Y (three cylinders
                        L = 10, diam = 2 um, 120 degrees apart) of tests/geometry: our time
                        [s], voxel volume error and membrane area error against the exact
                        values, and, with .venv-neuron, NEURON's time (Region to the end of
                        finitialize), volume error and voxel count
                        (bench/neuron_voxelize.py). NEURON's area is its closed surface (end
                        caps included), so its area error is against lateral + caps.
"""

import json
import math
import sys

from _common import ROOT, best_of, neuron_figures

from cable import Simulation
from geometry import load_swc, membrane_mesh, voxelize

MORPH = ROOT.parent / "shared" / "morphologies"
CELLS = {"tc200": "tc200.CNG.swc", "mp_ma": "mp_ma_40984_gc2.CNG.swc"}


def cylinder():
    s = Simulation().Section("cyl")
    s.pt3dadd(0, 0, 0, 2)
    s.pt3dadd(20, 0, 0, 2)
    return [s]


def y_branch():
    sim = Simulation()
    parent = sim.Section("parent")
    parent.pt3dadd(-10, 0, 0, 2)
    parent.pt3dadd(0, 0, 0, 2)
    secs = [parent]
    for sign in (1, -1):
        kid = sim.Section(f"child{sign:+d}")
        kid.pt3dadd(0, 0, 0, 2)
        kid.pt3dadd(10 * math.cos(math.pi / 3), sign * 10 * math.sin(math.pi / 3), 0, 2)
        kid.connect(parent(1))
        secs.append(kid)
    return secs


def y_exact():
    """Volume (closed form, tests/geometry/test_voxelize.py) and membrane area of the Y; the
    area by a fine midpoint rule there (4000 x 4000 cells per cylinder), 181.567 um2 (the
    three cylinders' 188.50 less the parts inside each other)."""
    volume = 4 / 3 * math.pi + 3 * (10 * math.pi - 2 / 3 * math.pi) - 4 * (1 / math.sqrt(3) - math.pi / 6)
    return volume, 181.567


def main():
    line = {"bench": "geometry"}
    for cell, fname in CELLS.items():
        path = MORPH / fname
        if not path.exists():
            continue
        secs = load_swc(path, sim=Simulation())
        for dx in (0.5, 0.25):
            box = []
            line[f"vox_{cell}_dx{dx}_s"] = round(best_of(lambda: box.append(voxelize(secs, dx)), 1), 3)
            line[f"vox_{cell}_dx{dx}_voxels"] = len(box[0].ijk)
            line[f"mesh_{cell}_dx{dx}_s"] = round(best_of(lambda: membrane_mesh(secs, dx), 1), 3)
    exact = {"cylinder": (20 * math.pi, 40 * math.pi, 2 * math.pi), "y": (*y_exact(), 3 * math.pi)}
    ref = neuron_figures("neuron_voxelize.py")
    if ref is not None:
        line["neuron_version"] = ref["neuron_version"]
    for shape, make in (("cylinder", cylinder), ("y", y_branch)):
        volume, area, caps = exact[shape]
        for dx in (0.25, 0.5):
            secs = make()
            box = []
            t = best_of(lambda: box.append(voxelize(secs, dx)), 3)
            v = box[0]
            entry = {"s": round(t, 4), "voxels": len(v.ijk),
                     "volume_err": round(v.volume_um3.sum() / volume - 1, 5),
                     "area_err": round(v.area_um2.sum() / area - 1, 5)}
            if ref is not None:
                n = ref[f"{shape}_dx{dx}"]
                entry.update({"neuron_s": round(n["s"], 4), "neuron_voxels": n["voxels"],
                              "neuron_volume_err": round(n["volume_um3"] / volume - 1, 5),
                              "neuron_area_err": round(n["area_um2"] / (area + caps) - 1, 5)})
            line[f"{shape}_dx{dx}"] = entry
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
