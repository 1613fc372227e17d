"""NEURON 9's 3-D rxd fixed step on the cylinder and the Y of bench_rxd3d.py (oracle only;
the project never imports NEURON).

Run from the repository root with the NEURON venv (NEURON 9.0.2, ``make neuron-venv``)::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python bench/neuron_rxd3d.py

    ... bench/neuron_rxd3d.py --cells    (also the shared morphologies: tc200 at dx 0.25
                                          takes NEURON about 6 min and 12 GB)

Prints exactly one line of JSON: {"neuron_version": ..., "cylinder_dx0.25": {"step_s": ...,
"voxels": ..., "init_s": ...}, "y_dx0.25": {...}} and with ``--cells``
"<cell>_dx<dx>" entries for ../shared/morphologies (tc200, mp_ma) at dx 0.5 and 0.25,
loaded with Import3d (pulse-free: ``ca`` uniform 1e-4; ``init_s`` includes the
voxelization, ``step_s`` is the mean of 5 steps after 2). Each case runs in a fresh process
(rxd keeps global state): ``rxd.set_solve_type(dimension=3)``, a Region over the sections
with ``nrn_region='i'`` and dx = 0.25, ``ca`` (d = 0.6 um2/ms, charge 2, 1 mM where x < 2 um,
else 1e-4) with a pump ``Rate(ca, -0.1 (ca - 1e-4))``, dt = 0.025 ms. ``init_s``: Region to
the end of finitialize; ``step_s``: mean wall time of ``STEPS`` calls of fadvance.
"""

import json
import math
import os
import subprocess
import sys
import time

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
STEPS = 1000


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


CELLS = {"tc200": "tc200.CNG.swc", "mp_ma": "mp_ma_40984_gc2.CNG.swc"}
MORPH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "morphologies")


def swc_sections(h, name):
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.input(os.path.join(MORPH, CELLS[name]))
    h.Import3d_GUI(reader, False).instantiate(None)
    return list(h.allsec())


def one(shape, dx):
    from neuron import h, rxd

    h.load_file("stdrun.hoc")
    cell = shape in CELLS
    secs = swc_sections(h, shape) if cell else build(h, shape)
    rxd.set_solve_type(dimension=3)
    t0 = time.perf_counter()
    cyt = rxd.Region(secs, nrn_region="i", dx=dx)
    initial = 1e-4 if cell else (lambda nd: 1.0 if nd.x3d < 2 else 1e-4)
    ca = rxd.Species(cyt, d=0.6, name="ca", charge=2, initial=initial)
    pump = rxd.Rate(ca, -0.1 * (ca - 1e-4))  # kept: NEURON holds reactions weakly (an
    # unreferenced one is dropped and never runs)
    h.dt = 0.025
    h.finitialize(-65)
    init = time.perf_counter() - t0
    steps = STEPS
    if cell:
        h.fadvance()
        h.fadvance()
        steps = 5
    t0 = time.perf_counter()
    for _ in range(steps):
        h.fadvance()
    step = (time.perf_counter() - t0) / steps
    _KEEP.extend([secs, cyt, ca, pump])  # NEURON 9.0.2 may abort freeing a 3-D region with a reaction
    return {"step_s": step, "init_s": init, "voxels": len(ca.nodes), "neuron_version": h.nrnversion()}


_KEEP = []


def main():
    if len(sys.argv) == 3 and sys.argv[1] != "--cells":  # child: one case in a fresh NEURON
        print(json.dumps(one(sys.argv[1], float(sys.argv[2]))), flush=True)
        os._exit(0)  # NEURON 9.0.2 may abort (munmap_chunk) tearing down a 3-D region
    out = {}
    cases = [("cylinder", "0.25"), ("y", "0.25")]
    if "--cells" in sys.argv:
        cases += [(cell, dx) for cell in CELLS for dx in ("0.5", "0.25")]
    for shape, dx in cases:
        res = subprocess.run([sys.executable, __file__, shape, dx], capture_output=True, text=True, check=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        out["neuron_version"] = r.pop("neuron_version")
        out[f"{shape}_dx{dx}"] = r
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
