"""Generate NEURON reference values for per-segment geometry from 3-D points.

Run with the NEURON oracle venv (the project itself never imports NEURON)::

    cd /work/main && .venv-neuron/bin/python tests/reference/make_pt3d_refs.py

It writes ``tests/reference/data/pt3d_geometry.npz``, used by
``tests/geometry/test_frusta.py``. For every case ``<case>`` the archive holds

* ``<case>/x_in``, ``/y_in``, ``/z_in``, ``/diam_in`` -- the 3-D points as given (float64) [um];
* ``<case>/x3d``, ``/y3d``, ``/z3d``, ``/diam3d``, ``/arc3d`` -- as NEURON stored them [um];
* ``<case>/L`` [um], and per segment (centres x = (i + 0.5)/nseg):
  ``/area`` = ``seg.area()`` [um2], ``/volume`` = ``seg.volume()`` [um3],
  ``/diam`` = ``seg.diam`` [um], ``/ri`` = ``seg.ri()`` [MOhm];
* ``<case>/ri_end`` = ``sec(1).ri()`` [MOhm] (the right half of the last segment).

``seg.ri()`` is the resistance from the segment's node to its parent node: for
segment i > 0 the right half of segment i-1 plus the left half of segment i;
for segment 0 of these root sections just its left half (to the 0-end node).

A JSON ``meta`` entry records the NEURON version, and per case nseg, Ra [ohm cm]
and a description. Cases without 3-D points (stylized) have no point arrays
but record ``<case>/L_in`` and ``<case>/diam_in``.
"""

import json
from pathlib import Path

import numpy as np
from neuron import h

OUT = Path(__file__).resolve().parent / "data" / "pt3d_geometry.npz"


def _measure(sec):
    segs = list(sec)
    return {
        "L": np.float64(sec.L),
        "area": np.array([s.area() for s in segs]),
        "volume": np.array([s.volume() for s in segs]),
        "diam": np.array([s.diam for s in segs]),
        "ri": np.array([s.ri() for s in segs]),
        "ri_end": np.float64(sec(1).ri()),
    }


def pt3d_case(name, pts, nseg, Ra):
    pts = np.asarray(pts, dtype=np.float64)
    sec = h.Section(name=name)
    for x, y, z, d in pts:
        sec.pt3dadd(x, y, z, d)
    sec.nseg = nseg
    sec.Ra = Ra
    n = int(sec.n3d())
    out = {
        "x_in": pts[:, 0], "y_in": pts[:, 1], "z_in": pts[:, 2], "diam_in": pts[:, 3],
        "x3d": np.array([sec.x3d(i) for i in range(n)]),
        "y3d": np.array([sec.y3d(i) for i in range(n)]),
        "z3d": np.array([sec.z3d(i) for i in range(n)]),
        "diam3d": np.array([sec.diam3d(i) for i in range(n)]),
        "arc3d": np.array([sec.arc3d(i) for i in range(n)]),
    }
    out.update(_measure(sec))
    return out


def stylized_case(name, L, diam, nseg, Ra):
    sec = h.Section(name=name)
    sec.nseg = nseg
    sec.L = L
    sec.diam = diam
    sec.Ra = Ra
    out = {"L_in": np.float64(L), "diam_in": np.float64(diam)}
    out.update(_measure(sec))
    assert sec.n3d() == 0
    return out


def main():
    arrays, cases = {}, {}

    def add(case, values, nseg, Ra, description):
        for k, v in values.items():
            arrays[f"{case}/{k}"] = v
        cases[case] = {"nseg": nseg, "Ra": Ra, "description": description}

    straight = [(0, 0, 0, 4), (10, 0, 0, 2), (20, 0, 0, 3), (30, 0, 0, 1), (40, 0, 0, 2)]
    for nseg in (1, 3, 7):
        add(f"straight_nseg{nseg}", pt3d_case(f"straight{nseg}", straight, nseg, 150.0), nseg, 150.0,
            "straight, 5 points over 40 um along x, diam 4,2,3,1,2")

    # coordinates not exactly representable in single precision on purpose
    bent = [(0.1, 0.2, 0.3, 2.5), (5.3, 1.7, -0.4, 1.9), (9.8, 6.1, 0.7, 3.3),
            (12.2, 11.9, 3.1, 1.2), (18.7, 13.3, 2.2, 2.1), (24.9, 19.4, -1.6, 0.7)]
    add("bent", pt3d_case("bent", bent, 5, 82.5), 5, 82.5,
        "bent: 6 non-collinear points, diameters varying, values not float32-exact")

    jump = [(0, 0, 0, 2), (10, 0, 0, 2), (10, 0, 0, 4), (25, 0, 0, 3), (30, 0, 0, 1)]
    add("jump", pt3d_case("jump", jump, 4, 100.0), 4, 100.0,
        "diameter step 2 -> 4 um at x = 10 (inside the right half of segment 1)")

    jump_edge = [(0, 0, 0, 1), (10, 0, 0, 1), (10, 0, 0, 3), (15, 0, 0, 3), (15, 0, 0, 3),
                 (40, 0, 0, 2)]
    add("jump_on_boundary", pt3d_case("jumpedge", jump_edge, 4, 70.0), 4, 70.0,
        "diameter step 1 -> 3 um at x = 10, exactly the boundary between segments 0 and 1; "
        "duplicate point (same diam) at x = 15, the centre of segment 1")

    tip = [(0, 0, 0, 3), (6, 8, 0, 2), (12, 16, 0, 0)]
    add("zero_tip", pt3d_case("tip", tip, 3, 50.0), 3, 50.0,
        "bent taper ending in diameter 0 (NEURON's 1e-15 floor in the resistance)")

    add("stylized", stylized_case("stylized", 100.0, 3.0, 5, 123.0), 5, 123.0,
        "no 3-D points: L = 100, diam = 3, nseg = 5")

    meta = {
        "neuron_version": h.nrnversion(),
        "generator": "tests/reference/make_pt3d_refs.py",
        "units": {"L": "um", "area": "um2", "volume": "um3", "diam": "um", "ri": "MOhm", "Ra": "ohm cm"},
        "ri": "seg.ri() at segment centres: node-to-parent-node resistance; segment 0 = left half only "
              "(root section); ri_end = sec(1).ri() = right half of the last segment",
        "cases": cases,
    }
    arrays["meta"] = np.array(json.dumps(meta))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
