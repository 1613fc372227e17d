"""3D rxd benchmark: fixed steps on voxels, and NEURON 9's 3D step on the same small shapes.

Run:  python bench/bench_rxd3d.py [--quick] [--neuron-cells]
      (NEURON's side needs .venv-neuron: make neuron-venv; --neuron-cells also times NEURON
      on the shared morphologies: about 8 min, 12 GB for tc200 at dx 0.25)

Model everywhere: ``ca`` (d = 0.6 um2/ms, charge 2) in a 3D cytosol, 1 mM where x < 2 um
(x < 20 um on the big grid), else 1e-4, with one reaction, a pump
``Rate(ca, -0.1 (ca - 1e-4))``; dt = 0.025 ms. Prints one line of JSON:

  <cell>_dx<dx>_voxels, _init_s, _step_s   the shared morphologies (tc200: 204 sections,
                        mp_ma: 29) at dx = 0.25 and 0.5 um: voxels, wall time [s] from
                        finitialize's build (voxelization included) and mean wall time of a
                        fixed step (default method "auto": ADI at these steps)
  grid1e6_voxels, _init_s, _step_s_adi, _step_s_cg   a cylinder L = 200, diam = 10 um at
                        dx = 0.25 (1.05e6 voxels): mean step [s] with each diffusion solver
  grid1e6_buffer_step_s_adi   the same grid with a buffer instead of the pump
                        (ca + buf <-> cabuf, kf 1 /mM/ms, kb 0.1 /ms: three species per voxel)
  <cell>_dx<dx>_neuron  with --neuron-cells: NEURON's voxels, init_s, step_s on the same cell
                        (Import3d; bench/neuron_rxd3d.py --cells) and ours / NEURON's
  cylinder_dx0.25, y_dx0.25   the cylinder (L 20, diam 2) and Y (3 x L 10, diam 2) of
                        tests/rxd/test_rxd3d.py: ours and, with .venv-neuron, NEURON's
                        (bench/neuron_rxd3d.py) voxels, init_s and step_s (1000 steps),
                        medians of ROUNDS rounds (NEURON then ours in each), the ratios
                        of the medians and the step ratio of each round
Steps are averaged over ``STEPS`` fixed steps after two warm-up steps (the reaction
Jacobian is renewed every 5 steps, included).
"""

import json
import math
import subprocess
import sys
import time

import numpy as np
from _common import ROOT, neuron_figures

import rxd
from cable import Simulation
from geometry import load_swc
from rxd._system import system_for

MORPH = ROOT.parent / "shared" / "morphologies"
CELLS = {"tc200": "tc200.CNG.swc", "mp_ma": "mp_ma_40984_gc2.CNG.swc"}
STEPS = 20
ROUNDS = 5  # of the small shapes (medians reported)


def cylinder(sim, L=20.0, diam=2.0):
    s = sim.Section("cyl")
    s.pt3dadd(0, 0, 0, diam)
    s.pt3dadd(L, 0, 0, diam)
    return [s]


def y_branch(sim):
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


def run(make, dx, *, x_hot=2.0, method="auto", buffer=False, steps=STEPS):
    """(voxels, init_s, step_s) of the model on the sections ``make(sim)`` returns."""
    sim = Simulation(dt=0.025)
    secs = make(sim)
    rxd.set_solve_type(method=method, sim=sim)
    cyt = rxd.Region(secs, nrn_region="i", dimension=3, dx=dx)
    ca = rxd.Species(cyt, d=0.6, name="ca", charge=2, initial=1e-4)
    if buffer:
        buf = rxd.Species(cyt, d=0, name="buf", initial=0.1)
        cabuf = rxd.Species(cyt, d=0, name="cabuf", initial=0.0)
        rxd.Reaction(ca + buf != cabuf, 1.0, 0.1)
    else:
        rxd.Rate(ca, -0.1 * (ca - 1e-4))
    t0 = time.perf_counter()
    sim.finitialize(-65)
    init = time.perf_counter() - t0
    # the pulse, set on the state vector (no Python call per voxel)
    system = system_for(sim)
    data = system._disc(ca[cyt])
    arr, start = system.storage(ca[cyt], 0)
    arr[start : start + data.n] = np.where(data.xyz[:, 0] < x_hot, 1.0, 1e-4)
    sim.fadvance()
    sim.fadvance()
    t0 = time.perf_counter()
    for _ in range(steps):
        sim.fadvance()
    return data.n, init, (time.perf_counter() - t0) / steps


def main(quick=False, neuron_cells=False):
    line = {"bench": "rxd3d"}
    # NEURON first (alone on the machine), ours after
    ref = neuron_figures("neuron_rxd3d.py", *(["--cells"] if neuron_cells else []))
    for cell, fname in CELLS.items():
        path = MORPH / fname
        if not path.exists():
            continue
        for dx in (0.5, 0.25):
            n, init, step = run(lambda sim, path=path: load_swc(path, sim=sim), dx, steps=5 if quick else STEPS)
            line[f"{cell}_dx{dx}_voxels"] = n
            line[f"{cell}_dx{dx}_init_s"] = round(init, 2)
            line[f"{cell}_dx{dx}_step_s"] = round(step, 4)
            theirs = (ref or {}).get(f"{cell}_dx{dx}")
            if theirs is not None:
                line[f"{cell}_dx{dx}_neuron"] = {
                    "voxels": theirs["voxels"], "init_s": round(theirs["init_s"], 2),
                    "step_s": round(theirs["step_s"], 4), "ratio_init": round(init / theirs["init_s"], 3),
                    "ratio_step": round(step / theirs["step_s"], 3),
                }
    big = lambda sim: cylinder(sim, L=200.0, diam=10.0)
    n, init, step = run(big, 0.25, x_hot=20.0, method="adi")
    line.update(grid1e6_voxels=n, grid1e6_init_s=round(init, 2), grid1e6_step_s_adi=round(step, 4))
    if not quick:
        line["grid1e6_step_s_cg"] = round(run(big, 0.25, x_hot=20.0, method="cg")[2], 4)
        line["grid1e6_buffer_step_s_adi"] = round(run(big, 0.25, x_hot=20.0, method="adi", buffer=True)[2], 4)
    if ref is not None:
        line["neuron_version"] = ref["neuron_version"]
    # the small shapes in ROUNDS rounds, NEURON's processes then ours in each: on this
    # shared machine the same steps' median drifts by up to 1.7x over seconds (237 to 400
    # us a step in one process). Ours in a fresh process each, as NEURON's (after the big
    # grids above, the same steps in this process took up to 1.5x longer)
    rounds = {"cylinder": [], "y": []}
    for k in range(1 if quick else ROUNDS):
        theirs = ref if k == 0 else neuron_figures("neuron_rxd3d.py")
        for shape in rounds:
            out = subprocess.run([sys.executable, __file__, "--small", shape], capture_output=True, text=True, check=True)
            n, init, step = json.loads(out.stdout.strip().splitlines()[-1])
            rounds[shape].append((n, init, step, None if theirs is None else theirs[f"{shape}_dx0.25"]))
    for shape, runs in rounds.items():
        n = runs[0][0]
        init, step = (float(np.median([r[i] for r in runs])) for i in (1, 2))
        entry = {"voxels": n, "init_s": round(init, 3), "step_s": round(step, 5)}
        if runs[0][3] is not None:
            t_init = float(np.median([r[3]["init_s"] for r in runs]))
            t_step = float(np.median([r[3]["step_s"] for r in runs]))
            entry.update(neuron_voxels=runs[0][3]["voxels"], neuron_init_s=round(t_init, 3),
                         neuron_step_s=round(t_step, 6), ratio_init=round(init / t_init, 3),
                         ratio_step=round(step / t_step, 3),
                         ratio_step_rounds=[round(r[2] / r[3]["step_s"], 3) for r in runs])
        line[f"{shape}_dx0.25"] = entry
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--small":  # one small shape, in a fresh process
        print(json.dumps(run({"cylinder": cylinder, "y": y_branch}[sys.argv[2]], 0.25, steps=1000)))
        sys.exit(0)
    sys.exit(main(quick="--quick" in sys.argv, neuron_cells="--neuron-cells" in sys.argv))
