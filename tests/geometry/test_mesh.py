"""The membrane mesh: closed, manifold, outward normals, and the enclosed volume against
closed forms with the discretization error measured.

Measured (marching cubes on the exact signed distance, vertices on the surface, chords
inside it): the enclosed volume is low by about 0.22 dx^2 / r relative for a cylinder,
cone or Y of radius r ~ 1 um -- 5.3-5.8 % at dx = 0.5, 1.3-1.5 % at dx = 0.25,
0.34-0.38 % at dx = 0.125 (second order). The tests allow 2 % at dx = 0.25 and check the
order.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cable import Simulation
from geometry import GeometryError, load_swc, membrane_mesh

MORPH = Path(__file__).resolve().parents[2].parent / "shared" / "morphologies"


def _section(sim, name, pts):
    sec = sim.Section(name)
    for p in pts:
        sec.pt3dadd(*p)
    return sec


def cylinder():
    return [_section(Simulation(), "cyl", [(0.13, 0.37, -0.21, 2.0), (20.13, 0.37, -0.21, 2.0)])]


def cone():
    u = np.array([1.0, 0.7, 0.3]) / np.linalg.norm([1.0, 0.7, 0.3])
    return [_section(Simulation(), "cone", [(0, 0, 0, 3.0), (*(20 * u), 1.0)])]


def y_branch(L=10.0):
    sim = Simulation()
    parent = _section(sim, "parent", [(-L, 0, 0, 2), (0, 0, 0, 2)])
    kids = [_section(sim, f"k{s}", [(0, 0, 0, 2), (L / 2, s * L * np.sqrt(3) / 2, 0, 2)]) for s in (1, -1)]
    for k in kids:
        k.connect(parent(1))
    return [parent, *kids]


def y_volume(L=10.0, r=1.0):
    # see tests/geometry/test_voxelize.py::y_union_volume for the derivation
    return 4 / 3 * np.pi * r ** 3 + 3 * (np.pi * r * r * L - 2 / 3 * np.pi * r ** 3) \
        - 4 * r ** 3 * (1 / np.sqrt(3) - np.pi / 6)


SHAPES = {
    "cylinder": (cylinder, np.pi * 20),
    "cone": (cone, np.pi * 20 / 3 * (1.5 ** 2 + 1.5 * 0.5 + 0.5 ** 2)),
    "y": (y_branch, y_volume()),
}


def _faces(mesh):
    return mesh.faces.reshape(-1, 4)[:, 1:]


def _check_closed_manifold_outward(mesh):
    assert mesh.n_cells > 0 and mesh.is_all_triangles
    assert mesh.n_open_edges == 0
    f = _faces(mesh)
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    # consistently oriented: every directed edge once, so every edge in exactly two faces
    # traversed in opposite directions
    assert len(np.unique(directed, axis=0)) == len(directed)
    _, count = np.unique(np.sort(directed, axis=1), axis=0, return_counts=True)
    assert np.all(count == 2)
    assert mesh.is_manifold
    assert len(np.unique(f, axis=0)) == len(f)
    p = mesh.points
    signed = np.einsum("ij,ij->i", p[f[:, 0]], np.cross(p[f[:, 1]], p[f[:, 2]])).sum() / 6
    assert signed > 0  # outward normals
    assert signed == pytest.approx(mesh.volume, rel=1e-9)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_closed_manifold_and_volume(shape):
    make, exact = SHAPES[shape]
    mesh = membrane_mesh(make(), 0.25)
    _check_closed_manifold_outward(mesh)
    assert mesh.volume == pytest.approx(exact, rel=0.02)
    assert mesh.volume < exact  # chords lie inside the surface


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_volume_error_is_second_order(shape):
    make, exact = SHAPES[shape]
    secs = make()
    err = [abs(membrane_mesh(secs, dx).volume / exact - 1) for dx in (0.25, 0.125)]
    assert 3.0 < err[0] / err[1] < 5.0
    assert err[1] < 0.005


def _swc(name):
    path = MORPH / name
    if not path.exists():
        pytest.skip(f"{path} is not there (shared/ sits beside the project root)")
    return load_swc(path, sim=Simulation())


@pytest.mark.parametrize("name, dx", [("mp_ma_40984_gc2.CNG.swc", 0.25), ("tc200.CNG.swc", 0.5),
                                      pytest.param("tc200.CNG.swc", 0.25, marks=pytest.mark.slow)])
def test_swc_meshes_are_closed(name, dx):
    mesh = membrane_mesh(_swc(name), dx)
    _check_closed_manifold_outward(mesh)


def test_bad_input():
    with pytest.raises(GeometryError, match="dx must be"):
        membrane_mesh(cylinder(), 0)
    with pytest.raises(GeometryError, match="multiple of block"):
        membrane_mesh(cylinder(), 0.5, block=8, mc_block=12)


def test_import_geometry_stays_light():
    code = "import sys, geometry; print(sorted(m for m in ('pyvista', 'vtk', 'skimage', 'cable') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
