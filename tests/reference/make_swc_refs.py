"""Generate NEURON reference values for SWC import (Import3d_SWC_read + instantiate).

Run with the NEURON oracle venv (the project itself never imports NEURON)::

    cd /work/main && NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python tests/reference/make_swc_refs.py

It reads the shared morphologies ``../shared/morphologies/<file>.swc`` (never copied
into the project), instantiates each one in a fresh NEURON process exactly as NEURON's
documented recipe does::

    h.load_file("import3d.hoc")
    r = h.Import3d_SWC_read(); r.input(path)
    h.Import3d_GUI(r, False).instantiate(None)

and writes ``tests/reference/data/swc_import.npz``, used by
``tests/geometry/test_swc.py``. Two small made-up files (``SYNTHETIC`` below, their text
stored as ``<m>/text``) reach the rules the shared files do not: NeuroMorpho's 3-point
soma, wires to interior soma points, a branch off a wired dendrite's first point, a
zero-length branch, a custom type, unsorted ids. For every morphology ``<m>`` (``tc200``,
``mp_ma``, ``three_point_soma``, ``soma_chain``) the archive holds, over the sections in
``h.allsec()`` order:

* ``<m>/names`` -- section names (``soma[0]``, ``dend[k]``, ...);
* ``<m>/parent`` -- index of the parent section (-1 for the root), ``<m>/parentx`` --
  the parent location, ``<m>/child_end`` -- which end of the child attaches (always 0);
* ``<m>/n3d``, ``<m>/nseg``, ``<m>/L`` [um], ``<m>/area`` = sum of ``seg.area()`` [um2],
  ``<m>/volume`` = sum of ``seg.volume()`` [um3];
* ``<m>/pts`` -- every section's 3-D points ``x3d, y3d, z3d, diam3d`` as NEURON stores
  them (single precision, returned as double) [um], concatenated in section order,
  shape (sum n3d, 4).

A JSON ``meta`` entry records the NEURON version and the files.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "swc_import.npz"
MORPH = HERE.parents[2] / "shared" / "morphologies"
FILES = {"tc200": "tc200.CNG.swc", "mp_ma": "mp_ma_40984_gc2.CNG.swc"}

# Small made-up files for the rules the shared ones do not reach; their text is stored
# in the archive (``<case>/text``) so the test writes the same file.
SYNTHETIC = {
    # NeuroMorpho's 3-point soma (two points at +-r from the centre, equal diameters),
    # a dendrite, an axon and an apical dendrite on the centre point
    "three_point_soma": """# 3-point soma
1 1 0 0 0 5 -1
2 1 0 -5 0 5 1
3 1 0 5 0 5 1
4 3 5 0 0 1 1
5 3 10 2 0 0.8 4
6 3 15 3 1 0.6 5
7 3 13 8 0 0.5 5
8 2 -5 0 0 0.7 1
9 2 -12 -1 0 0.5 8
10 4 0 6 3 1.5 1
11 4 0 14 4 1.2 10
""",
    # a 4-point soma chain; a wired dendrite on an interior soma point with a branch off
    # its first point (connect2prox); a one-point dendrite on another interior point; a
    # dendrite at the soma's end; a zero-length branch (removed by NEURON); type 7; ids
    # with gaps (in order: NEURON 9's reader crashes on unsorted ids)
    "soma_chain": """# soma chain, wires, connect2prox, zero-length branch, custom type
1 1 0 0 0 4 -1
2 1 3 0 0 4.5 1
3 1 6 0 0 4 2
4 1 9 0 0 3 3
10 3 4 6 0 1 2
11 3 5 12 0 0.8 10
12 3 7 18 1 0.7 11
13 3 9 24 1 0.6 12
14 3 4 30 2 0.5 12
16 3 7 18 1 0.7 12
17 3 6 -7 0 1.2 3
25 3 -2 9 0 0.9 10
26 3 -5 15 0 0.7 25
30 3 13 0 0 1 4
31 3 20 1 0 0.8 30
40 7 20 5 0 0.5 31
41 7 25 9 0 0.4 40
""",
}


def measure(path):
    """Instantiate ``path`` in this (fresh) NEURON process; return the arrays."""
    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    from neuron import h

    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(path))
    h.Import3d_GUI(reader, False).instantiate(None)
    secs = list(h.allsec())
    index = {s.name(): i for i, s in enumerate(secs)}
    out = {"names": np.array([s.name() for s in secs]), "parent": [], "parentx": [], "child_end": [],
           "n3d": [], "nseg": [], "L": [], "area": [], "volume": [], "pts": []}
    for s in secs:
        ps = s.parentseg()
        out["parent"].append(-1 if ps is None else index[ps.sec.name()])
        out["parentx"].append(np.nan if ps is None else ps.x)
        out["child_end"].append(s.orientation())
        out["n3d"].append(s.n3d())
        out["nseg"].append(s.nseg)
        out["L"].append(s.L)
        out["area"].append(sum(seg.area() for seg in s))
        out["volume"].append(sum(seg.volume() for seg in s))
        out["pts"].extend((s.x3d(i), s.y3d(i), s.z3d(i), s.diam3d(i)) for i in range(s.n3d()))
    arrays = {k: (v if isinstance(v, np.ndarray) else np.array(v)) for k, v in out.items()}
    return arrays, h.nrnversion()


def main():
    if len(sys.argv) == 3:  # child process: one morphology per fresh NEURON
        arrays, version = measure(sys.argv[1])
        np.savez(sys.argv[2], version=np.array(version), **arrays)
        return
    arrays, version = {}, None
    tmp = OUT.parent / "_swc_tmp.npz"
    with tempfile.TemporaryDirectory() as scratch:
        cases = {key: MORPH / fname for key, fname in FILES.items()}
        for key, text in SYNTHETIC.items():
            cases[key] = Path(scratch) / f"{key}.swc"
            cases[key].write_text(text)
            arrays[f"{key}/text"] = np.array(text)
        for key, path in cases.items():
            subprocess.run([sys.executable, __file__, str(path), str(tmp)], check=True)
            with np.load(tmp) as data:
                version = str(data["version"])
                for k in data.files:
                    if k != "version":
                        arrays[f"{key}/{k}"] = data[k]
            tmp.unlink()
    meta = {
        "neuron_version": version,
        "generator": "tests/reference/make_swc_refs.py",
        "files": FILES,
        "synthetic": sorted(SYNTHETIC),
        "units": {"L": "um", "area": "um2", "volume": "um3", "pts": "um"},
        "recipe": "Import3d_SWC_read().input(path); Import3d_GUI(r, False).instantiate(None)",
    }
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT}: " + ", ".join(f"{k} {len(arrays[k + '/names'])} sections" for k in cases))


if __name__ == "__main__":
    main()
