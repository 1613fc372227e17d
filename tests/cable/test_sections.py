"""Sections and segments: locations, geometry, nseg changes, topology, axial resistance,
and the two built-in electrodes against closed forms."""

import numpy as np
import pytest

from cable import CableError, Simulation
from geometry import segment_geometry, stylized_geometry

# Closed forms vs. sums of the same few floating-point terms: round-off only.
RTOL_EXACT = 1e-12
# Against NEURON's pt3d geometry: reproduced operation for operation (see
# tests/geometry/test_frusta.py); only the final MOhm scaling of ri() is written in a
# different order (a few ulps). 1e-9 leaves room for libm differences.
RTOL_NEURON = 1e-9


@pytest.fixture
def sim():
    return Simulation()


# ----------------------------------------------------------------- locations
@pytest.mark.parametrize("nseg", [1, 2, 3, 4, 7])
def test_segments_iterate_at_their_centres(sim, nseg):
    sec = sim.Section("s", nseg=nseg)
    xs = [seg.x for seg in sec]
    np.testing.assert_allclose(xs, (np.arange(nseg) + 0.5) / nseg, rtol=0, atol=1e-15)  # round-off
    assert all(seg.sec is sec for seg in sec)
    assert [seg.x for seg in sec.allseg()] == [0.0] + xs + [1.0]
    assert len(set(sec)) == nseg  # distinct segments


@pytest.mark.parametrize(
    "nseg, x, index",
    [
        (1, 0.3, 0),
        (1, 0.999, 0),
        (2, 0.25, 0),
        (2, 0.4999, 0),
        (2, 0.5, 1),  # a segment boundary belongs to the segment to its right (NEURON: int(x nseg))
        (2, 0.75, 1),
        (3, 0.2, 0),
        (3, 1 / 3, 1),
        (3, 0.5, 1),
        (3, 0.7, 2),
        (3, 0.9999, 2),
        (4, 0.25, 1),
        (4, 0.5, 2),
        (4, 0.74, 2),
        (5, 0.5, 2),
        (5, 0.01, 0),
    ],
)
def test_location_maps_to_segment(sim, nseg, x, index):
    sec = sim.Section("s", nseg=nseg)
    for i, seg in enumerate(sec):
        seg.cm = 1.0 + i  # a marker per segment
    assert sec(x).cm == 1.0 + index
    assert sec(x) == list(sec)[index]
    sec(x).cm = 42.0
    assert list(sec)[index].cm == 42.0


@pytest.mark.parametrize("x", [0.0, 1.0])
def test_ends_are_zero_area_nodes(sim, x):
    sec = sim.Section("s", L=10.0, diam=2.0, nseg=3)
    seg = sec(x)
    assert seg.is_end
    assert seg not in list(sec)
    assert seg.area() == 0.0 and seg.cm == 0.0 and seg.volume() == 0.0


@pytest.mark.parametrize("x", [-0.1, 1.5, float("nan")])
def test_location_outside_section_rejected(sim, x):
    sec = sim.Section("s")
    with pytest.raises(CableError, match=r"s\(x\): x must lie in \[0, 1\], got"):
        sec(x)


# ------------------------------------------------------------------ geometry
@pytest.mark.parametrize("nseg", [1, 2, 5, 11])
def test_cylinder_area_and_volume(sim, nseg):
    L, d = 37.0, 2.5
    sec = sim.Section("s", L=L, diam=d, nseg=nseg)
    areas = np.array([seg.area() for seg in sec])
    np.testing.assert_allclose(areas, np.pi * d * L / nseg, rtol=RTOL_EXACT)
    assert areas.sum() == pytest.approx(np.pi * d * L, rel=RTOL_EXACT)
    np.testing.assert_allclose([seg.volume() for seg in sec], np.pi * d**2 / 4 * L / nseg, rtol=RTOL_EXACT)
    assert sec.L == L and sec.diam == d


def test_per_segment_diameters(sim):
    sec = sim.Section("s", L=30.0, nseg=3)
    for seg, d in zip(sec, (1.0, 2.0, 4.0)):
        seg.diam = d
    np.testing.assert_allclose([seg.area() for seg in sec], np.pi * np.array([1.0, 2.0, 4.0]) * 10, rtol=RTOL_EXACT)


PT3D_CASES = [
    "bent",
    "jump",
    "jump_on_boundary",
    "straight_nseg1",
    "straight_nseg3",
    "straight_nseg7",
    "stylized",
    "zero_tip",
]


def test_pt3d_reference_cases(reference):
    # the parametrization below covers every case of the reference file
    assert sorted(reference("pt3d_geometry")["meta"]["cases"]) == PT3D_CASES


def _build_case(sim, ref, case):
    info = ref["meta"]["cases"][case]
    if f"{case}/x_in" in ref:
        sec = sim.Section(case)
        for point in zip(*(ref[f"{case}/{k}_in"] for k in ("x", "y", "z", "diam"))):
            sec.pt3dadd(*point)
        sec.nseg = info["nseg"]
        sec.Ra = info["Ra"]
    else:
        sec = sim.Section(
            case, L=float(ref[f"{case}/L_in"]), diam=float(ref[f"{case}/diam_in"]), nseg=info["nseg"], Ra=info["Ra"]
        )
    return sec, info


@pytest.mark.parametrize("case", PT3D_CASES)
def test_pt3d_sections_match_neuron(sim, reference, case):
    ref = reference("pt3d_geometry")
    sec, info = _build_case(sim, ref, case)
    get = lambda k: ref[f"{case}/{k}"]  # noqa: E731
    segs = list(sec)
    assert len(segs) == info["nseg"]
    assert sec.L == pytest.approx(float(get("L")), rel=RTOL_NEURON)
    np.testing.assert_allclose([s.area() for s in segs], get("area"), rtol=RTOL_NEURON, atol=0)
    np.testing.assert_allclose([s.volume() for s in segs], get("volume"), rtol=RTOL_NEURON, atol=0)
    np.testing.assert_allclose([s.diam for s in segs], get("diam"), rtol=RTOL_NEURON, atol=0)
    # seg.ri(): resistance to the parent node; these are root sections, so segment 0's
    # parent is the 0-end node (its left half only); sec(1).ri() is the last right half
    np.testing.assert_allclose([s.ri() for s in segs], get("ri"), rtol=RTOL_NEURON, atol=0)
    assert sec(1).ri() == pytest.approx(float(get("ri_end")), rel=RTOL_NEURON)
    assert sec(0).ri() == 1e30  # a root node, as NEURON


@pytest.mark.parametrize("case", PT3D_CASES)
def test_pt3d_sections_match_geometry_package(sim, reference, case):
    ref = reference("pt3d_geometry")
    sec, info = _build_case(sim, ref, case)
    nseg = info["nseg"]
    if f"{case}/x_in" in ref:
        G = segment_geometry(*(ref[f"{case}/{k}_in"] for k in ("x", "y", "z", "diam")), nseg)
    else:
        G = stylized_geometry(float(ref[f"{case}/L_in"]), float(ref[f"{case}/diam_in"]), nseg)
    segs = list(sec)
    assert sec.L == G.L
    np.testing.assert_array_equal([s.area() for s in segs], G.area)
    np.testing.assert_array_equal([s.volume() for s in segs], G.volume)
    ri = info["Ra"] * 1e-2 * np.concatenate([G.r_half_left[:1], G.r_half_right[:-1] + G.r_half_left[1:]])
    np.testing.assert_allclose([s.ri() for s in segs], ri, rtol=RTOL_EXACT, atol=0)


def test_pt3d_length_rescaling_keeps_shape(sim):
    sec = sim.Section("s")
    for p in [(0, 0, 0, 2), (3, 4, 0, 2), (6, 8, 0, 4)]:
        sec.pt3dadd(*p)
    assert sec.L == pytest.approx(10.0, rel=RTOL_EXACT)
    total = sum(seg.area() for seg in sec)
    sec.L = 20.0  # NEURON scales the points along the section
    assert sec.L == pytest.approx(20.0, rel=1e-6)  # float32 point storage
    assert sec.n3d() == 3 and sec.diam3d(2) == 4
    # lateral area of the two frusta at double length: 2 x for the cylinder part, and
    # the cone's slant grows with its length
    cyl = np.pi * 2 * 10
    cone = np.pi * (2 + 4) / 2 * np.hypot(10, 1)
    # 1e-6: the points are stored in single precision, as NEURON does (~1e-7 relative)
    assert sum(seg.area() for seg in sec) == pytest.approx(cyl + cone, rel=1e-6)
    assert total == pytest.approx(np.pi * 2 * 5 + np.pi * 3 * np.hypot(5, 1), rel=1e-6)


# ----------------------------------------------------------- changing nseg
@pytest.mark.parametrize(
    "old, new, expected",
    [
        ([1.0, 2.0, 3.0], 9, [1, 1, 1, 2, 2, 2, 3, 3, 3]),
        ([1.0, 2.0, 3.0], 2, [1, 3]),  # new centres 0.25 and 0.75 lie in old segments 0 and 2
        ([1.0, 2.0, 3.0], 1, [2]),
        ([1.0, 2.0, 3.0, 4.0], 2, [2, 4]),  # centre 0.25 is the old 0/1 boundary: right side
        ([1.0, 2.0], 5, [1, 1, 2, 2, 2]),  # centre 0.5 on the old boundary: right side
    ],
)
def test_changing_nseg_keeps_range_values(sim, old, new, expected):
    sec = sim.Section("s", nseg=len(old))
    sec.insert("pas")
    for seg, g in zip(sec, old):
        seg.pas.g = g * 1e-4
        seg.cm = g
        seg.diam = g
    sec.nseg = new
    assert [seg.pas.g for seg in sec] == pytest.approx([e * 1e-4 for e in expected], rel=RTOL_EXACT)
    assert [seg.cm for seg in sec] == [float(e) for e in expected]
    assert [seg.diam for seg in sec] == [float(e) for e in expected]


def test_refining_and_coarsening_nseg_round_trips(sim):
    sec = sim.Section("s", nseg=3)
    sec.insert("hh")
    for seg, g in zip(sec, (0.1, 0.2, 0.3)):
        seg.hh.gnabar = g
    sec.nseg = 9
    sec.nseg = 3
    assert [seg.hh.gnabar for seg in sec] == [0.1, 0.2, 0.3]


def test_changing_nseg_after_a_run_keeps_the_potential(sim):
    sec = sim.Section("s", L=100.0, diam=2.0, nseg=2)
    sec.insert("pas")
    sim.IClamp(sec(0.25), delay=0, dur=1e9, amp=0.05)
    sim.finitialize(-70)
    sim.continuerun(2.0)
    v = [seg.v for seg in sec]
    assert v[0] > v[1] > -70  # current injected into the first half
    sec.nseg = 4
    assert [seg.v for seg in sec] == [v[0], v[0], v[1], v[1]]


# ------------------------------------------------------------------ topology
def _two_section_model(connect):
    sim = Simulation()
    soma = sim.Section("soma", L=20.0, diam=20.0)
    soma.insert("hh")
    dend = sim.Section("dend", L=200.0, diam=1.0, nseg=5, Ra=150.0)
    dend.insert("pas")
    connect(dend, soma)
    sim.IClamp(soma(0.5), delay=1.0, dur=5.0, amp=0.3)
    v = sim.record(dend(0.9), "v")
    return sim, soma, dend, v


CONNECT_FORMS = {
    "parent(1)": lambda c, p: c.connect(p(1)),
    "parent(1), 0": lambda c, p: c.connect(p(1), 0),
    "parent, 1, 0": lambda c, p: c.connect(p, 1, 0),
    "parent": lambda c, p: c.connect(p),
}


@pytest.mark.parametrize("form", [f for f in CONNECT_FORMS if f != "parent(1)"])
def test_connect_forms_give_the_same_tree(form):
    runs = []
    for f in ("parent(1)", form):
        sim, soma, dend, v = _two_section_model(CONNECT_FORMS[f])
        assert dend.parent == (soma, 1.0) and dend.child_end == 0
        assert dend.trueparentseg() == soma(1)
        assert soma.children == [dend]
        ri = [seg.ri() for seg in dend.allseg()]
        sim.finitialize(-65)
        sim.continuerun(8.0)
        runs.append((ri, v.as_numpy().copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    # the soma's depolarization reached dend(0.9) (measured -36 mV; alone, the passive
    # dendrite would only relax from -65 to e_pas = -70): the two sections are joined
    assert runs[0][1].max() > -50


def test_connect_segment_form_with_child_end_1():
    sim = Simulation()
    parent, child = sim.Section("p"), sim.Section("c")
    child.connect(parent(0.5), 1)
    assert child.parent == (parent, 0.5)
    assert child.child_end == 1  # as child.connect(parent, 0.5, 1)


def test_connect_by_child_end_1_orients_the_section():
    # child.connect(parent, x, 1): the child's 1 end is at the parent, so its 0 end is free
    sim = Simulation()
    soma = sim.Section("soma", L=20.0, diam=20.0)
    dend = sim.Section("dend", L=100.0, diam=1.0, nseg=4)
    dend.connect(soma, 1, 1)
    soma.insert("pas")
    dend.insert("pas")
    sim.IClamp(soma(0.5), delay=0, dur=1e9, amp=0.1)
    sim.finitialize(-70)
    sim.continuerun(20.0)
    v = [seg.v for seg in dend]
    assert v == sorted(v)  # attenuates from the 1 end (at the soma) toward x = 0
    assert dend(0).v < dend(1).v


def test_disconnect_and_reconnect(sim):
    a, b = sim.Section("a"), sim.Section("b")
    b.connect(a(1))
    b.disconnect()
    assert b.parent is None and a.children == []
    b.connect(a(0.5))
    assert b.parent == (a, 0.5) and a.children == [b]
    b.connect(a(1))  # reconnecting moves the section
    assert b.parent == (a, 1.0) and a.children == [b]


# -------------------------------------------------------- axial resistance
def test_ri_is_the_sum_of_half_segment_resistances(sim):
    Ra, L, nseg = 150.0, 100.0, 4
    parent = sim.Section("parent", L=10.0, diam=5.0, nseg=1, Ra=80.0)
    child = sim.Section("child", L=L, nseg=nseg, Ra=Ra)
    diams = np.array([1.0, 2.0, 1.5, 0.5])
    for seg, d in zip(child, diams):
        seg.diam = d
    child.connect(parent(1))
    # integral of ds / (pi d^2 / 4) over each half segment [1/um]
    half = (L / nseg / 2) / (np.pi * diams**2 / 4)
    expected = Ra * 1e-2 * np.concatenate([half[:1], half[:-1] + half[1:]])  # [MOhm]
    np.testing.assert_allclose([seg.ri() for seg in child], expected, rtol=RTOL_EXACT)
    assert child(1).ri() == pytest.approx(Ra * 1e-2 * half[-1], rel=RTOL_EXACT)
    # the child's 0 end is the parent's 1-end node: the parent's last right half
    p_half = (10.0 / 2) / (np.pi * 5.0**2 / 4)
    assert parent(1).ri() == pytest.approx(80.0 * 1e-2 * p_half, rel=RTOL_EXACT)
    assert child(0).ri() == parent(1).ri()
    assert parent(0).ri() == 1e30


def test_ri_unit(sim):
    # 1 um long, 1 um2 cross-section, Ra = 100 ohm cm: 100 ohm cm * 1 um / 1 um2 = 1 MOhm
    d = np.sqrt(4 / np.pi)
    sec = sim.Section("s", L=2.0, diam=d, nseg=1, Ra=100.0)
    assert sec(0.5).ri() == pytest.approx(1.0, rel=RTOL_EXACT)
    assert sec(1).ri() == pytest.approx(1.0, rel=RTOL_EXACT)


# ------------------------------------------------------------------ electrodes
def test_seclamp_holds_a_passive_soma():
    sim = Simulation()  # backward Euler, dt 0.025
    soma = sim.Section("soma", L=20.0, diam=20.0)
    soma.insert("pas")
    g, e = 1e-4, -65.0
    soma(0.5).pas.g = g
    soma(0.5).pas.e = e
    clamp = sim.SEClamp(soma(0.5), dur1=20.0, amp1=-20.0, rs=0.001)
    sim.finitialize(e)
    sim.continuerun(20.0)
    v = soma(0.5).v
    # 1e-3 mV (the bound): the steady error is i rs = 0.057 nA * 0.001 MOhm
    assert v == pytest.approx(-20.0, abs=1e-3)
    leak = g * (v - e) * soma(0.5).area() * 1e-2  # mA/cm2 * um2 -> nA
    assert leak > 0.05  # a current well above round-off
    assert clamp.i == pytest.approx(leak, rel=1e-2)  # 1 %: the bound (measured 1e-11)
    # the steady state of the series resistance: v = vc - i rs (round-off only)
    assert clamp.vc == -20.0
    assert v == pytest.approx(clamp.vc - clamp.i * clamp.rs, abs=1e-9)


def test_seclamp_switches_levels():
    sim = Simulation()
    soma = sim.Section("soma", L=20.0, diam=20.0)
    soma.insert("pas")
    sim.SEClamp(soma(0.5), dur1=5.0, amp1=-30.0, dur2=5.0, amp2=-80.0, rs=0.001)
    v = sim.record(soma(0.5), "v", dt=5.0)
    sim.finitialize(-70)
    sim.continuerun(15.0)
    # at 5 and 10 ms the clamp holds the level that just ended; after dur1 + dur2 (+ dur3
    # = 0) it is off and the membrane relaxes toward e_pas = -70 (tau 1 ms: 5 tau)
    got = v.as_numpy()
    # 1e-2 mV: the clamp error is i rs <= 0.5 nA * 0.001 MOhm = 5e-4 mV
    assert got[:3] == pytest.approx([-70.0, -30.0, -80.0], abs=1e-2)
    # 0.1 mV: 5 ms after release from -80 mV, 10 mV e^-5 = 0.067 mV are left
    assert got[3] == pytest.approx(-70.0, abs=0.1)


def test_iclamp_charges_a_passive_soma_like_an_rc_circuit():
    sim = Simulation(dt=0.001, secondorder=2)
    soma = sim.Section("soma", L=20.0, diam=20.0)  # one segment, no axial current
    soma.insert("pas")
    g, e, amp, delay = 1e-3, -70.0, 0.05, 1.0
    soma(0.5).pas.g = g
    soma(0.5).pas.e = e
    sim.IClamp(soma(0.5), delay=delay, dur=1e9, amp=amp)
    v = sim.record(soma(0.5), "v")
    t = sim.record_t()
    sim.finitialize(e)
    sim.continuerun(6.0)
    t, v = t.as_numpy(), v.as_numpy()
    R = 1.0 / (g * soma(0.5).area() * 1e-2)  # 1/uS = MOhm
    tau = soma(0.5).cm / g * 1e-3  # uF/cm2 / (S/cm2) = 1e-6 s = 1e-3 ms
    # hand-computed: tau = 1 uF/cm2 / 1e-3 S/cm2 = 1 ms; R = 1 / (1e-3 * pi 400 um2 * 1e-2)
    # = 79.577 MOhm (5 digits, hence rel=1e-4)
    assert tau == pytest.approx(1.0, rel=1e-12) and R == pytest.approx(79.577, rel=1e-4)
    on = t > delay + 1e-6
    analytic = amp * R * (1.0 - np.exp(-(t[on] - delay) / tau))
    # 0.1 %: the bound, at every sample from the first step after the onset
    # (CN error ~ (dt/tau)^2; measured 8e-8 relative)
    np.testing.assert_allclose(v[on] - e, analytic, rtol=1e-3, atol=0)
    np.testing.assert_array_equal(v[~on], e)  # nothing before the onset
    assert v[-1] - e > 0.99 * amp * R  # 5 tau: charged to > 99 %
