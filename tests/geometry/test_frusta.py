"""Per-segment geometry from 3-D points and from L/diam, against NEURON 9 and closed forms.

NEURON reference values come from ``tests/reference/make_pt3d_refs.py`` (run with
the NEURON venv; see its docstring), stored in ``tests/reference/data/pt3d_geometry.npz``.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from geometry._errors import GeometryError
from geometry._frusta import SegmentGeometry, segment_geometry, stylized_geometry

REF_FILE = Path(__file__).resolve().parents[1] / "reference" / "data" / "pt3d_geometry.npz"

# NEURON agreement: the integration (piece boundaries, interpolation, summation
# order, single-precision point storage) is reproduced operation for operation, so
# area, volume, diam and L come out bit-identical; only the final MOhm scaling is
# written in a different order (NEURON: sum * Ra / pi * 0.04, here
# Ra * 1e-2 * (sum / pi * 4)), a few ulps. 1e-9 leaves ample room for that and
# for libm differences, yet is ~10x tighter than the error of skipping NEURON's
# float32 rounding of the 3-D points (~1e-8 in the "bent" case).
RTOL_NEURON = 1e-9
# Closed forms vs. the piecewise sums: round-off only.
RTOL_EXACT = 1e-12


def _load_refs():
    ref = np.load(REF_FILE)
    meta = json.loads(str(ref["meta"]))
    return ref, meta


REF, META = _load_refs()
CASES = sorted(META["cases"])


def _geometry_for(case, **kw):
    info = META["cases"][case]
    g = lambda k: REF[f"{case}/{k}"]  # noqa: E731
    if f"{case}/x_in" in REF:
        return segment_geometry(g("x_in"), g("y_in"), g("z_in"), g("diam_in"), info["nseg"], **kw)
    return stylized_geometry(float(g("L_in")), float(g("diam_in")), info["nseg"])


def _seg_ri(G, Ra):
    """NEURON's seg.ri() of every segment of a root section [MOhm].

    seg.ri() is the resistance from the segment's node to its parent node: for
    segment i > 0 that is the right half of segment i-1 plus the left half of
    segment i; for segment 0 of a root section the parent is the section's 0-end
    node, so only the left half of segment 0.
    """
    return Ra * 1e-2 * np.concatenate([G.r_half_left[:1], G.r_half_right[:-1] + G.r_half_left[1:]])


# --------------------------------------------------------------------- NEURON
def test_reference_cases_present():
    assert {"straight_nseg1", "straight_nseg3", "straight_nseg7", "bent", "jump", "stylized"} <= set(CASES)
    assert META["neuron_version"].startswith("NEURON -- VERSION 9")


@pytest.mark.parametrize("case", CASES)
def test_matches_neuron(case):
    info = META["cases"][case]
    G = _geometry_for(case)
    assert isinstance(G, SegmentGeometry)
    ref = lambda k: REF[f"{case}/{k}"]  # noqa: E731
    assert G.area.shape == G.volume.shape == G.diam.shape == (info["nseg"],)
    assert G.L == pytest.approx(float(ref("L")), rel=RTOL_NEURON)
    np.testing.assert_allclose(G.area, ref("area"), rtol=RTOL_NEURON, atol=0)
    np.testing.assert_allclose(G.volume, ref("volume"), rtol=RTOL_NEURON, atol=0)
    np.testing.assert_allclose(G.diam, ref("diam"), rtol=RTOL_NEURON, atol=0)
    # seg.ri() at the segment centres, and sec(1).ri() = right half of the last segment
    np.testing.assert_allclose(_seg_ri(G, info["Ra"]), ref("ri"), rtol=RTOL_NEURON, atol=0)
    assert info["Ra"] * 1e-2 * G.r_half_right[-1] == pytest.approx(float(ref("ri_end")), rel=RTOL_NEURON)


def test_neuron_stores_points_in_single_precision():
    # NEURON's Pt3d holds x, y, z, diam as C floats; the "bent" case uses values
    # that are not float32-exact, and NEURON reports them rounded.
    for k in ("x", "y", "z", "diam"):
        given = REF[f"bent/{k}_in"]
        stored = REF[f"bent/{k}3d"]
        np.testing.assert_array_equal(stored, given.astype(np.float32).astype(np.float64))
        assert np.any(stored != given)
    # ... and the rounding is visible well above the comparison tolerance
    G64 = _geometry_for("bent", float32_points=False)
    assert np.max(np.abs(G64.area / REF["bent/area"] - 1)) > 10 * RTOL_NEURON


def test_diameter_step_annulus_goes_to_earlier_half():
    # jump_on_boundary: diam 1 on [0, 10], step to 3 at x = 10 = end of segment 0.
    G = _geometry_for("jump_on_boundary")
    assert G.area[0] == pytest.approx(np.pi * 1 * 10 + np.pi / 4 * (3**2 - 1**2), rel=RTOL_EXACT)
    # segment 1 (x in 10..20): diam 3 up to the point at 15, then 3 -> 2 over 15..40
    d20 = 3 - 5 / 25
    area1 = np.pi * 3 * 5 + np.pi * (3 + d20) / 2 * np.hypot(5, (3 - d20) / 2)
    assert G.area[1] == pytest.approx(area1, rel=RTOL_EXACT)
    # the step itself adds only NEURON's 1e-15 um floor to the resistance
    assert G.r_half_right[0] == pytest.approx(4 / np.pi * 5 / 1**2, rel=RTOL_EXACT)


# ---------------------------------------------------------------- closed forms
@pytest.mark.parametrize("nseg", [1, 2, 5, 13])
def test_cylinder(nseg):
    d, L = 2.5, 37.0
    G = segment_geometry([0, 0], [0, 0], [0, L], [d, d], nseg)
    dx = L / nseg
    assert G.L == L
    np.testing.assert_allclose(G.area, np.pi * d * dx, rtol=RTOL_EXACT)
    np.testing.assert_allclose(G.area.sum(), np.pi * d * L, rtol=RTOL_EXACT)
    np.testing.assert_allclose(G.volume, np.pi * d**2 / 4 * dx, rtol=RTOL_EXACT)
    np.testing.assert_allclose(G.diam, d, rtol=RTOL_EXACT)
    np.testing.assert_allclose(G.r_half_left, (dx / 2) / (np.pi * d**2 / 4), rtol=RTOL_EXACT)
    np.testing.assert_allclose(G.r_half_right, G.r_half_left, rtol=RTOL_EXACT)
    S = stylized_geometry(L, d, nseg)
    for a, b in zip(G, S):
        np.testing.assert_allclose(a, b, rtol=RTOL_EXACT)


@pytest.mark.parametrize("nseg", [1, 3, 8])
def test_cone_frustum(nseg):
    # tilted frustum of length 13 (3-4-12), diameters 4 -> 1
    d1, d2 = 4.0, 1.0
    G = segment_geometry([1, 4], [2, 6], [3, 15], [d1, d2], nseg)
    L = 13.0
    r1, r2 = d1 / 2, d2 / 2
    assert G.L == pytest.approx(L, rel=RTOL_EXACT)
    lateral = np.pi * (r1 + r2) * np.hypot(L, r1 - r2)
    vol = np.pi * L / 3 * (r1 * r1 + r1 * r2 + r2 * r2)
    r_total = 4 * L / (np.pi * d1 * d2)  # integral of 4/(pi d(s)^2) for linear d
    assert G.area.sum() == pytest.approx(lateral, rel=RTOL_EXACT)
    assert G.volume.sum() == pytest.approx(vol, rel=RTOL_EXACT)
    assert (G.r_half_left + G.r_half_right).sum() == pytest.approx(r_total, rel=RTOL_EXACT)
    # each segment is itself a frustum between interpolated diameters
    edges = np.linspace(d1, d2, nseg + 1)
    a, b = edges[:-1] / 2, edges[1:] / 2
    dx = L / nseg
    np.testing.assert_allclose(G.area, np.pi * (a + b) * np.hypot(dx, a - b), rtol=RTOL_EXACT)
    np.testing.assert_allclose(G.volume, np.pi * dx / 3 * (a * a + a * b + b * b), rtol=RTOL_EXACT)
    np.testing.assert_allclose(G.diam, a + b, rtol=RTOL_EXACT)
    mid = (edges[:-1] + edges[1:]) / 2
    np.testing.assert_allclose(G.r_half_left, 4 * dx / 2 / (np.pi * edges[:-1] * mid), rtol=RTOL_EXACT)
    np.testing.assert_allclose(G.r_half_right, 4 * dx / 2 / (np.pi * mid * edges[1:]), rtol=RTOL_EXACT)


def test_diameter_step_adds_annulus():
    # step 2 -> 4 at x = 10, then linear 4 -> 3 -> 1
    G = segment_geometry([0, 10, 10, 25, 30], [0] * 5, [0] * 5, [2, 2, 4, 3, 1], 4)

    def frustum(L, da, db):
        return np.pi * (da + db) / 2 * np.hypot(L, (da - db) / 2)

    expected = frustum(10, 2, 2) + np.pi / 4 * (4**2 - 2**2) + frustum(15, 4, 3) + frustum(5, 3, 1)
    assert G.area.sum() == pytest.approx(expected, rel=RTOL_EXACT)


@pytest.mark.parametrize("case", ["straight_nseg1", "bent", "jump", "jump_on_boundary", "zero_tip"])
def test_totals_independent_of_nseg(case):
    g = lambda k: REF[f"{case}/{k}"]  # noqa: E731
    pts = g("x_in"), g("y_in"), g("z_in"), g("diam_in")
    base = segment_geometry(*pts, 1)
    for nseg in (2, 3, 7, 20, 101):
        G = segment_geometry(*pts, nseg)
        assert G.L == base.L
        assert G.area.sum() == pytest.approx(base.area.sum(), rel=RTOL_EXACT)
        assert G.volume.sum() == pytest.approx(base.volume.sum(), rel=RTOL_EXACT)
        # mean diameter over the section
        assert G.diam.mean() == pytest.approx(base.diam.mean(), rel=RTOL_EXACT)
        if case != "zero_tip":  # there a 1e15 stand-in piece is counted once per half
            total = (G.r_half_left + G.r_half_right).sum()
            assert total == pytest.approx((base.r_half_left + base.r_half_right).sum(), rel=RTOL_EXACT)


def _clip_frusta(arc, d, lo, hi):
    """Independent check: frusta of the piecewise-linear profile clipped to [lo, hi]."""
    cuts = np.unique(np.concatenate([[lo, hi], arc[(arc > lo) & (arc < hi)]]))
    dd = np.interp(cuts, arc, d)
    dl, da, db = np.diff(cuts), dd[:-1], dd[1:]
    area = (np.pi * (da + db) / 2 * np.hypot(dl, (da - db) / 2)).sum()
    vol = (np.pi * dl / 12 * (da * da + da * db + db * db)).sum()
    res = (4 / np.pi * dl / (da * db)).sum()
    return area, vol, res, ((da + db) / 2 * dl).sum() / (hi - lo)


@pytest.mark.parametrize("seed", range(5))
def test_random_tapers_against_clipped_frusta(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    steps = rng.normal(size=(n - 1, 3)) * rng.uniform(0.1, 8, size=(n - 1, 1))
    xyz = np.vstack([np.zeros(3), np.cumsum(steps, axis=0)])
    d = rng.uniform(0.2, 5, size=n)
    nseg = int(rng.integers(1, 30))
    G = segment_geometry(xyz[:, 0], xyz[:, 1], xyz[:, 2], d, nseg, float32_points=False)
    arc = np.concatenate([[0], np.cumsum(np.linalg.norm(steps, axis=1))])
    assert G.L == pytest.approx(arc[-1], rel=RTOL_EXACT)
    edges = np.linspace(0, arc[-1], 2 * nseg + 1)
    for i in range(nseg):
        lo, mid, hi = edges[2 * i], edges[2 * i + 1], edges[2 * i + 2]
        area, vol, _, dmean = _clip_frusta(arc, d, lo, hi)
        assert G.area[i] == pytest.approx(area, rel=1e-10)
        assert G.volume[i] == pytest.approx(vol, rel=1e-10)
        assert G.diam[i] == pytest.approx(dmean, rel=1e-10)
        assert G.r_half_left[i] == pytest.approx(_clip_frusta(arc, d, lo, mid)[2], rel=1e-10)
        assert G.r_half_right[i] == pytest.approx(_clip_frusta(arc, d, mid, hi)[2], rel=1e-10)


def test_stylized_per_segment_diameters():
    d = np.array([1.0, 2.0, 4.0])
    S = stylized_geometry(30, d, 3)
    np.testing.assert_allclose(S.area, np.pi * d * 10, rtol=RTOL_EXACT)
    np.testing.assert_allclose(S.volume, np.pi * d**2 / 4 * 10, rtol=RTOL_EXACT)
    np.testing.assert_allclose(S.r_half_left, 5 / (np.pi * d**2 / 4), rtol=RTOL_EXACT)
    np.testing.assert_array_equal(S.diam, d)
    assert S.L == 30.0


# ------------------------------------------------------------------ validation
def test_error_is_value_error():
    assert issubclass(GeometryError, ValueError)


@pytest.mark.parametrize(
    "args, match",
    [
        (([0], [0], [0], [1], 1), "got 1"),
        (([], [], [], [], 1), "got 0"),
        (([0, 1], [0, 0], [0, 0], [1, -1.5], 1), r"diam\[1\] = -1.5"),
        (([0, 1, 2], [0, 0], [0, 0, 0], [1, 1, 1], 1), r"'y': 2"),
        (([0, 1], [0, 0], [0, 0], [1, 1, 1], 1), r"'diam': 3"),
        (([0, 1], [0, 0], [0, 0], [1, 1], 0), "nseg=0"),
        (([0, 1], [0, 0], [0, 0], [1, 1], -3), "nseg=-3"),
        (([0, 1], [0, 0], [0, 0], [1, 1], 2.5), "2.5"),
        (([0, 1], [0, 0], [0, 0], [1, 1], True), "True"),
        (([0, 1], [0, 0], [0, 0], [1, 1], 40000), "nseg=40000"),
        (([0, np.nan], [0, 0], [0, 0], [1, 1], 1), r"x\[1\] = nan"),
        (([[0, 1]], [[0, 0]], [[0, 0]], [[1, 1]], 1), r"shape \(1, 2\)"),
        (([2, 2], [3, 3], [4, 4], [1, 2], 1), "zero length"),
    ],
)
def test_segment_geometry_rejects(args, match):
    with pytest.raises(GeometryError, match=match):
        segment_geometry(*args)


@pytest.mark.parametrize(
    "args, match",
    [
        ((0, 1, 1), "L = 0"),
        ((-5, 1, 1), "L = -5"),
        ((10, 0, 2), r"diam\[0\] = 0"),
        ((10, [1, -2], 2), r"diam\[1\] = -2"),
        ((10, [1, 2, 3], 2), r"shape \(3,\)"),
        ((10, 1, 0), "nseg=0"),
    ],
)
def test_stylized_geometry_rejects(args, match):
    with pytest.raises(GeometryError, match=match):
        stylized_geometry(*args)
