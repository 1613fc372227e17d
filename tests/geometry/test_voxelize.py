"""Voxelization against analytic shapes, an independent Monte Carlo of the union, and the
every-segment-has-a-voxel rule.

References used here:

* cylinder and cone: closed forms for volume and lateral area;
* Y (three cylinders of radius r meeting at one point, 120 degrees apart, with the joint
  sphere the geometry puts there): the union volume in closed form (derived in
  ``y_union_volume``), the membrane area by a fine midpoint quadrature of each cylinder's
  lateral surface with the parts inside another cylinder removed;
* SWC morphologies: an independent Monte Carlo estimate of the union volume (the 1/N
  estimator, fixed seed), written here from the documented geometry without the package's
  code.
"""

import functools
from pathlib import Path

import numpy as np
import pytest

from cable import Simulation
from geometry import GeometryError, Voxelization, load_swc, voxelize

MORPH = Path(__file__).resolve().parents[2].parent / "shared" / "morphologies"


def _section(sim, name, pts, nseg=1):
    sec = sim.Section(name, nseg=nseg)
    for p in pts:
        sec.pt3dadd(*p)
    return sec


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


# A generic direction (no grid alignment) and an offset start.
TILT = _unit([1.0, 0.7, 0.3])
START = np.array([0.13, 0.37, -0.21])


def cylinder(aligned=True, L=20.0, d=2.0, nseg=1):
    sim = Simulation()
    a = np.zeros(3) if aligned else START
    u = np.array([1.0, 0, 0]) if aligned else TILT
    return [_section(sim, "cyl", [(*a, d), (*(a + L * u), d)], nseg)]


def cone(aligned=True, L=20.0, d0=3.0, d1=1.0):
    sim = Simulation()
    a = np.zeros(3) if aligned else START
    u = np.array([1.0, 0, 0]) if aligned else TILT
    return [_section(sim, "cone", [(*a, d0), (*(a + L * u), d1)])]


def y_branch(L=10.0, d=2.0):
    """A parent along -x ending at the origin and two children at +-60 degrees from +x."""
    sim = Simulation()
    parent = _section(sim, "parent", [(-L, 0, 0, d), (0, 0, 0, d)])
    kids = []
    for sign in (1, -1):
        end = L * np.array([np.cos(np.pi / 3), sign * np.sin(np.pi / 3), 0])
        kid = _section(sim, f"child{sign:+d}", [(0, 0, 0, d), (*end, d)])
        kid.connect(parent(1))
        kids.append(kid)
    return [parent, *kids]


def y_union_volume(L=10.0, r=1.0):
    """Exact volume of the Y: ball B(0, r) and three cylinders C_i of radius r, length L,
    from the origin along coplanar unit vectors 120 degrees apart.

    Each C_i holds the half ball on its side, so |C_i minus B| = pi r^2 L - 2/3 pi r^3. The
    three cylinders never overlap all at once (t_1 + t_2 + t_3 = 0). Two of them overlap
    outside B in a sliver: at height z above their plane the cross-section of
    (C_i and C_j) minus B is the unit-width one scaled by w = sqrt(r^2 - z^2): the kite
    O, (cos 30, sin 30), (1/cos 30, 0), (cos 30, -sin 30) of area 1/sqrt(3) minus the
    unit disk's 60-degree sector (pi/6). Integrating w^2 over z gives 4/3 r^3 (1/sqrt(3) - pi/6).
    """
    pair = 4 / 3 * r ** 3 * (1 / np.sqrt(3) - np.pi / 6)
    return 4 / 3 * np.pi * r ** 3 + 3 * (np.pi * r * r * L - 2 / 3 * np.pi * r ** 3) - 3 * pair


@functools.lru_cache(maxsize=None)
def y_union_area(L=10.0, r=1.0, n=1000):
    """Membrane area of the Y by a midpoint rule on each cylinder's lateral surface
    (n x n cells in (t, phi)), without the parts inside another cylinder. The joint
    ball's surface is entirely inside the cylinders (no direction points away from all
    three), and the cylinders' ends at the joint lie inside the ball."""
    dirs = [np.array([-1.0, 0, 0])] + [np.array([np.cos(np.pi / 3), s * np.sin(np.pi / 3), 0]) for s in (1, -1)]
    t = (np.arange(n) + 0.5) / n * L
    phi = (np.arange(n) + 0.5) / n * 2 * np.pi
    T, P = np.meshgrid(t, phi, indexing="ij")
    total = 0.0
    for i, u in enumerate(dirs):
        e1 = np.cross(u, [0, 0, 1.0])
        e1 /= np.linalg.norm(e1)
        pts = T[..., None] * u + r * (np.cos(P)[..., None] * e1 + np.sin(P)[..., None] * np.array([0, 0, 1.0]))
        covered = np.zeros(T.shape, dtype=bool)
        for j, v in enumerate(dirs):
            if j != i:
                tv = pts @ v
                q2 = np.sum(pts * pts, axis=-1) - tv * tv
                covered |= (tv > 0) & (tv < L) & (q2 < r * r)
        total += np.count_nonzero(~covered) * (L / n) * (2 * np.pi * r / n)
    return total


def _check_structure(vox, sections):
    assert isinstance(vox, Voxelization)
    n = len(vox.ijk)
    for name in ("volume_fraction", "area_um2", "section", "segment", "forced"):
        assert getattr(vox, name).shape == (n,)
    assert np.all((vox.volume_fraction >= 0) & (vox.volume_fraction <= 1))
    assert np.all(vox.area_um2 >= 0)
    assert np.all((vox.volume_fraction > 0) | (vox.area_um2 > 0))
    assert np.all((vox.ijk >= 0) & (vox.ijk < np.array(vox.shape)))
    keys = np.ravel_multi_index(tuple(vox.ijk.T), vox.shape)
    assert np.all(np.diff(keys) > 0)  # unique, sorted
    nseg = np.array([s.nseg for s in sections])
    assert np.all((vox.segment >= 0) & (vox.segment < nseg[vox.section]))
    # every segment of every section owns at least one voxel
    owned = set(zip(vox.section.tolist(), vox.segment.tolist()))
    assert owned == {(k, i) for k, s in enumerate(sections) for i in range(s.nseg)}


# ------------------------------------------------------------------ analytic shapes
@pytest.mark.parametrize("aligned", [True, False], ids=["aligned", "tilted"])
@pytest.mark.parametrize("dx, tol", [(0.25, 0.01), (0.5, 0.03)])
def test_cylinder_volume_and_area(dx, tol, aligned):
    secs = cylinder(aligned)
    vox = voxelize(secs, dx)
    _check_structure(vox, secs)
    assert vox.volume_um3.sum() == pytest.approx(np.pi * 20, rel=tol)
    assert vox.area_um2.sum() == pytest.approx(np.pi * 2 * 20, rel=tol)


@pytest.mark.parametrize("aligned", [True, False], ids=["aligned", "tilted"])
def test_cone_volume_and_area(aligned):
    secs = cone(aligned)
    vox = voxelize(secs, 0.25)
    _check_structure(vox, secs)
    r0, r1, L = 1.5, 0.5, 20.0
    assert vox.volume_um3.sum() == pytest.approx(np.pi * L / 3 * (r0 * r0 + r0 * r1 + r1 * r1), rel=0.02)
    assert vox.area_um2.sum() == pytest.approx(np.pi * (r0 + r1) * np.hypot(L, r0 - r1), rel=0.02)


def test_y_union_formula_against_its_own_monte_carlo():
    # the closed form, checked once by brute force in the bounding box (fixed seed)
    rng = np.random.default_rng(5)
    lo, hi = np.array([-10.0, -9.7, -1.0]), np.array([6.0, 9.7, 1.0])
    p = lo + (hi - lo) * rng.random((2_000_000, 3))
    inside = np.sum(p * p, axis=1) <= 1
    for u in [np.array([-1.0, 0, 0])] + [np.array([0.5, s * np.sqrt(3) / 2, 0]) for s in (1, -1)]:
        t = p @ u
        inside |= (t >= 0) & (t <= 10) & (np.sum(p * p, axis=1) - t * t <= 1)
    estimate = inside.mean() * np.prod(hi - lo)
    assert estimate == pytest.approx(y_union_volume(), rel=0.005)


@pytest.mark.parametrize("dx, tol", [(0.25, 0.02), (0.5, 0.03)])
def test_y_branch_joint_counted_once(dx, tol):
    secs = y_branch()
    vox = voxelize(secs, dx)
    _check_structure(vox, secs)
    assert vox.volume_um3.sum() == pytest.approx(y_union_volume(), rel=tol)
    assert vox.area_um2.sum() == pytest.approx(y_union_area(), rel=tol)
    # the three cylinders alone add up to more: the joint is not counted three times
    assert vox.volume_um3.sum() < 3 * np.pi * 10 - 0.5


def test_volume_converges():
    exact = np.pi * 20
    err = [abs(voxelize(cylinder(False), dx).volume_um3.sum() / exact - 1) for dx in (0.5, 0.25)]
    assert err[1] < 0.005 and err[0] < 0.01


# ------------------------------------------------------------------ owners and segments
def test_segments_split_the_cylinder_along_its_axis():
    secs = cylinder(True, nseg=4)
    vox = voxelize(secs, 0.25)
    _check_structure(vox, secs)
    x = vox.centers[:, 0]
    for i in range(4):
        sel = vox.segment == i
        assert np.all((x[sel] > 5 * i - 0.25) & (x[sel] < 5 * (i + 1) + 0.25))
        assert vox.volume_um3[sel].sum() == pytest.approx(np.pi * 5, rel=0.01)
        assert vox.area_um2[sel].sum() == pytest.approx(np.pi * 2 * 5, rel=0.01)
    assert not vox.forced.any()


def test_voxels_go_to_the_deepest_frustum():
    sim = Simulation()
    soma = _section(sim, "soma", [(-5, 0, 0, 10), (5, 0, 0, 10)])
    dend = _section(sim, "dend", [(0, 0, 0, 1), (15, 0, 0, 1)])
    dend.connect(soma(0.5))
    vox = voxelize([soma, dend], 0.5)
    _check_structure(vox, [soma, dend])
    inside_soma = np.abs(vox.centers[:, 0]) < 4
    # the dendrite's start runs through the soma, whose voxels stay the soma's
    assert np.mean(vox.section[inside_soma] == 0) > 0.99
    assert np.all(vox.section[vox.centers[:, 0] > 6] == 1)


def test_thin_and_short_sections_get_a_voxel():
    sim = Simulation()
    a = _section(sim, "a", [(0, 0, 0, 2), (10, 0, 0, 2)])
    shorts = []
    prev = a
    for k in range(3):  # three 0.1 um sections in a row: far shorter than dx
        s = _section(sim, f"short{k}", [(10 + 0.1 * k, 0, 0, 2), (10 + 0.1 * (k + 1), 0, 0, 2)])
        s.connect(prev(1))
        shorts.append(s)
        prev = s
    b = _section(sim, "b", [(10.3, 0, 0, 2), (20, 0, 0, 2)])
    b.connect(prev(1))
    thin = _section(sim, "thin", [(5, 0, 1, 0.05), (5, 0, 4, 0.05)])  # 50 nm wide side branch
    thin.connect(a(0.5))
    buried = _section(sim, "buried", [(15, 0, 0, 0.3), (15.2, 0, 0.1, 0.3)])  # wholly inside b
    buried.connect(b(0.5))
    secs = [a, *shorts, b, thin, buried]
    vox = voxelize(secs, 0.5)
    _check_structure(vox, secs)
    # the buried one and most short ones own no voxel centre of their own: forced
    forced = set(vox.section[vox.forced].tolist())
    assert 6 in forced and len(forced & {1, 2, 3}) >= 2
    assert vox.volume_um3.sum() == pytest.approx(np.pi * 20, rel=0.03)


def test_dense_and_pyvista_views():
    secs = cylinder(False)
    vox = voxelize(secs, 0.5)
    dense = vox.dense(vox.volume_fraction)
    assert dense.shape == vox.shape
    assert dense.sum() == pytest.approx(vox.volume_fraction.sum())
    grid = vox.to_pyvista()
    assert grid.n_cells == np.prod(vox.shape)
    frac = np.asarray(grid.cell_data["volume_fraction"]).reshape(vox.shape, order="F")
    np.testing.assert_array_equal(frac, dense)


# ------------------------------------------------------------------ bad input
def test_bad_input():
    secs = cylinder()
    for dx in (0, -1, np.nan, "a"):
        with pytest.raises(GeometryError, match="dx must be"):
            voxelize(secs, dx)
    with pytest.raises(GeometryError, match="supersample"):
        voxelize(secs, 0.5, supersample=0)
    bare = Simulation().Section("bare", L=10, diam=1)
    with pytest.raises(GeometryError, match=r"section 'bare' has 0 3-D points"):
        voxelize([bare], 0.5)
    with pytest.raises(GeometryError, match="no sections"):
        voxelize([], 0.5)


# ------------------------------------------------------------------ SWC morphologies
def _solids(sections):
    """Frusta (a, b, ra, rb) and joint spheres (c, r), from the documented rule: a sphere
    wherever two or more frustum ends meet, radius the second largest end radius."""
    fr = []
    for s in sections:
        p = np.array([[s.x3d(i), s.y3d(i), s.z3d(i), s.diam3d(i) / 2] for i in range(s.n3d())])
        for i in range(len(p) - 1):
            if np.any(p[i, :3] != p[i + 1, :3]):
                fr.append((p[i, :3], p[i + 1, :3], p[i, 3], p[i + 1, 3]))
    ends = {}
    for a, b, ra, rb in fr:
        ends.setdefault(tuple(a), []).append(ra)
        ends.setdefault(tuple(b), []).append(rb)
    sph = [(np.array(c), sorted(r)[-2]) for c, r in ends.items() if len(r) >= 2 and sorted(r)[-2] > 0]
    return fr, sph


def monte_carlo_union_volume(sections, n=40_000, seed=1):
    """Union volume by sum_i V_i * mean(1 / N(p)), p uniform in solid i, N(p) the number of
    solids holding p; std error ~0.2 % here."""
    rng = np.random.default_rng(seed)
    fr, sph = _solids(sections)
    A = np.array([f[0] for f in fr])
    B = np.array([f[1] for f in fr])
    RA = np.array([f[2] for f in fr])
    RB = np.array([f[3] for f in fr])
    Lf = np.linalg.norm(B - A, axis=1)
    U = (B - A) / Lf[:, None]
    C = np.array([s[0] for s in sph]).reshape(-1, 3)
    RS = np.array([s[1] for s in sph])
    vols = np.concatenate([np.pi * Lf / 3 * (RA * RA + RA * RB + RB * RB), 4 / 3 * np.pi * RS ** 3])
    rmax = np.maximum(RA, RB)
    lo = np.concatenate([np.minimum(A, B) - rmax[:, None], C - RS[:, None]])
    hi = np.concatenate([np.maximum(A, B) + rmax[:, None], C + RS[:, None]])
    nf = len(fr)

    def sample(i, m):
        if i >= nf:
            v = rng.normal(size=(m, 3))
            v /= np.linalg.norm(v, axis=1)[:, None]
            return C[i - nf] + v * (RS[i - nf] * rng.random(m) ** (1 / 3))[:, None]
        e1 = np.cross(U[i], np.eye(3)[np.argmin(np.abs(U[i]))])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(U[i], e1)
        got = []
        while sum(len(g) for g in got) < m:
            t = rng.random(4 * m) * Lf[i]
            q = rmax[i] * np.sqrt(rng.random(4 * m))
            ok = q <= RA[i] + (RB[i] - RA[i]) * t / Lf[i]
            ph = rng.random(4 * m) * 2 * np.pi
            pts = A[i] + t[:, None] * U[i] + q[:, None] * (np.cos(ph)[:, None] * e1 + np.sin(ph)[:, None] * e2)
            got.append(pts[ok])
        return np.concatenate(got)[:m]

    counts = np.maximum(2, np.round(n * vols / vols.sum())).astype(int)
    pts = np.concatenate([sample(i, m) for i, m in enumerate(counts)])
    owner = np.repeat(np.arange(counts.size), counts)
    N = np.zeros(len(pts), dtype=int)
    for c0 in range(0, len(pts), 2000):
        p = pts[c0:c0 + 2000]
        pi, si = np.nonzero(np.all((p[:, None, :] >= lo[None]) & (p[:, None, :] <= hi[None]), axis=2))
        isf = si < nf
        f = si[isf]
        w = p[pi[isf]] - A[f]
        t = np.einsum("ij,ij->i", w, U[f])
        q2 = np.einsum("ij,ij->i", w, w) - t * t
        r = RA[f] + (RB[f] - RA[f]) * np.clip(t / Lf[f], 0, 1)
        hit_f = (t >= 0) & (t <= Lf[f]) & (q2 <= r * r)
        k = si[~isf] - nf
        hit_s = np.sum((p[pi[~isf]] - C[k]) ** 2, axis=1) <= RS[k] ** 2
        N[c0:c0 + 2000] = (np.bincount(pi[isf][hit_f], minlength=len(p))
                           + np.bincount(pi[~isf][hit_s], minlength=len(p)))
    mean_inv = np.bincount(owner, weights=1.0 / np.maximum(N, 1)) / counts
    return float(np.sum(vols * mean_inv))


@pytest.fixture(scope="module", params=["mp_ma_40984_gc2.CNG.swc", "tc200.CNG.swc"])
def swc_voxels(request):
    path = MORPH / request.param
    if not path.exists():
        pytest.skip(f"{path} is not there (shared/ sits beside the project root)")
    secs = load_swc(path, sim=Simulation())
    return request.param, secs, voxelize(secs, 0.25)


def test_swc_every_section_has_voxels(swc_voxels):
    _, secs, vox = swc_voxels
    _check_structure(vox, secs)


def test_swc_volume_matches_the_union(swc_voxels):
    name, secs, vox = swc_voxels
    ours = vox.volume_um3.sum()
    union = monte_carlo_union_volume(secs)
    frusta = sum(s.geometry().volume.sum() for s in secs)
    assert ours == pytest.approx(union, rel=0.02)
    if name.startswith("mp_ma"):
        assert ours == pytest.approx(frusta, rel=0.05)
    else:
        # tc200: NEURON's import makes the root soma point a cylinder L = diam = 28.9 um
        # (18,900 um3) and starts soma[1] and soma[5] at its centre; the soma sections and
        # the dendrites' first frusta overlap, so the frusta sum counts ~12,000 um3 twice
        assert 0.68 < ours / frusta < 0.75
