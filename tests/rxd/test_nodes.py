"""Nodes: selection, geometry, reading and writing concentrations, recording, and
changing the state in a CVODE event."""

import math

import numpy as np
import pytest

import rxd
from cable import Simulation, Vector

SOMA = dict(L=10.0, diam=4.0, nseg=2)
DEND = dict(L=20.0, diam=1.0, nseg=5)
CYT_FRACTION, ER_FRACTION, BORDER_SCALE = 0.8, 0.2, 2.0


def build(sim):
    """soma and dend; cytosol on both, ER and its membrane on dend only; ca in cytosol and
    ER (exchanging across the membrane), a gate h on the membrane."""
    soma = sim.Section("soma", **SOMA)
    dend = sim.Section("dend", **DEND)
    dend.connect(soma(1), 0)
    cyt = rxd.Region([soma, dend], name="cyt", geometry=rxd.FractionalVolume(CYT_FRACTION, surface_fraction=1))
    er = rxd.Region([dend], name="er", geometry=rxd.FractionalVolume(ER_FRACTION))
    mem = rxd.Region([dend], name="mem", geometry=rxd.ScalableBorder(BORDER_SCALE))
    ca = rxd.Species([cyt, er], d=0.5, name="cal", initial=lambda n: 0.1 * (1 + n.x) if n.region is cyt else 1.0)
    h = rxd.State(mem, name="h", initial=0.3)
    rxd.MultiCompartmentReaction(ca[er] != ca[cyt], 2e5, 1e5, membrane=mem)
    rxd.Rate(h, (ca[cyt] - h) / 5.0)
    return dict(soma=soma, dend=dend, cyt=cyt, er=er, mem=mem, ca=ca, h=h)


@pytest.fixture
def model():
    sim = Simulation()
    m = build(sim)
    sim.finitialize(-65)
    m["sim"] = sim
    return m


# ------------------------------------------------------------------------- selection


def test_species_nodes_cover_every_region(model):
    ca, cyt, er = model["ca"], model["cyt"], model["er"]
    assert len(ca.nodes) == SOMA["nseg"] + DEND["nseg"] + DEND["nseg"]
    assert len(ca[cyt].nodes) == SOMA["nseg"] + DEND["nseg"]
    assert len(ca[er].nodes) == DEND["nseg"]
    assert all(n.region is cyt for n in ca[cyt].nodes)
    assert all(n.region is er for n in ca[er].nodes)
    assert all(n.species is ca for n in ca.nodes)
    assert isinstance(ca.nodes, rxd.NodeList)


@pytest.mark.parametrize(
    "where, expected",
    [
        ("soma", [("cyt", "soma", i) for i in range(2)]),
        ("dend", [(r, "dend", i) for r in ("cyt", "er") for i in range(5)]),
    ],
)
def test_nodes_of_a_section(model, where, expected):
    got = model["ca"].nodes(model[where])
    assert sorted((n.region.name, n.sec.name, n.index) for n in got) == sorted(expected)


@pytest.mark.parametrize(
    "sec, x, index, regions",
    [("soma", 0.3, 0, ["cyt"]), ("dend", 0.5, 2, ["cyt", "er"]), ("dend", 0.99, 4, ["cyt", "er"])],
)
def test_nodes_of_a_segment(model, sec, x, index, regions):
    got = model["ca"].nodes(model[sec](x))
    assert sorted(n.region.name for n in got) == regions
    assert all(n.sec is model[sec] and n.index == index for n in got)


def test_nodes_of_a_region(model):
    assert len(model["ca"].nodes(model["er"])) == DEND["nseg"]


# -------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("sec", ["soma", "dend"])
def test_node_position_and_segment(model, sec):
    s = model[sec]
    nodes = model["ca"][model["cyt"]].nodes(s)
    n = s.nseg
    np.testing.assert_allclose([nd.x for nd in nodes], (np.arange(n) + 0.5) / n, rtol=0, atol=1e-15)
    for i, nd in enumerate(nodes):
        seg = nd.segment
        assert seg.sec is s and seg.index == i
        assert seg == s((i + 0.5) / n)


def test_node_volume_and_area(model):
    cyt, er, mem, ca, h = (model[k] for k in ("cyt", "er", "mem", "ca", "h"))
    for sec in (model["soma"], model["dend"]):
        dx = sec.L / sec.nseg
        cyl = math.pi * sec.diam**2 / 4 * dx  # uniform cylinders: segment volume
        for nd in ca[cyt].nodes(sec):
            # closed-form geometry: rounding only
            assert nd.volume == pytest.approx(CYT_FRACTION * cyl, rel=1e-12)
            assert nd.surface_area == pytest.approx(nd.segment.area(), rel=1e-12)  # surface_fraction 1
            assert nd.segment.area() == pytest.approx(math.pi * sec.diam * dx, rel=1e-12)
    dend = model["dend"]
    dx = dend.L / dend.nseg
    for nd in ca[er].nodes:
        assert nd.volume == pytest.approx(ER_FRACTION * math.pi * dend.diam**2 / 4 * dx, rel=1e-12)
        assert nd.surface_area == 0.0  # surface_fraction defaults to 0
    for nd in h.nodes:
        assert nd.region is mem
        # a border reports its area as its volume, and no surface area (NEURON's convention)
        assert nd.volume == pytest.approx(BORDER_SCALE * dend.diam * dx, rel=1e-12)
        assert nd.surface_area == 0.0
    np.testing.assert_array_equal(ca.nodes.volume, [nd.volume for nd in ca.nodes])


# ------------------------------------------------------------- reading and writing


def test_node_concentration_read_and_write(model):
    ca, cyt, er = model["ca"], model["cyt"], model["er"]
    before_er = ca[er].concentration
    nodes = ca[cyt].nodes
    np.testing.assert_allclose(nodes.concentration, [0.1 * (1 + nd.x) for nd in nodes], rtol=1e-15)
    nodes[3].concentration = 0.625
    assert nodes[3].concentration == 0.625
    after = ca[cyt].concentration
    assert after[3] == 0.625
    np.testing.assert_array_equal(np.delete(after, 3), [0.1 * (1 + nd.x) for k, nd in enumerate(nodes) if k != 3])
    np.testing.assert_array_equal(ca[er].concentration, before_er)  # the other region is untouched


def test_species_on_region_concentration_assignment(model):
    ca, cyt, er = model["ca"], model["cyt"], model["er"]
    ca[er].concentration = 0.25
    np.testing.assert_array_equal(ca[er].concentration, 0.25)
    np.testing.assert_array_equal([nd.concentration for nd in ca[er].nodes], 0.25)
    np.testing.assert_allclose(ca[cyt].concentration, [0.1 * (1 + nd.x) for nd in ca[cyt].nodes], rtol=1e-15)
    values = np.linspace(0.1, 0.5, DEND["nseg"])
    ca[er].concentration = values
    np.testing.assert_array_equal(ca[er].concentration, values)


def test_written_values_are_what_the_run_starts_from(model):
    sim, ca, er = model["sim"], model["ca"], model["er"]
    ca[er].concentration = 0.0
    ca[model["cyt"]].concentration = 0.0
    sim.continuerun(1.0)
    # nothing in, nothing out: a model at zero stays at zero
    np.testing.assert_array_equal(ca.nodes.concentration, 0.0)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_concentration_rejected(model, value):
    node = model["ca"].nodes[0]
    with pytest.raises(rxd.RxdError, match="must be finite"):
        node.concentration = value
    assert node.concentration == pytest.approx(0.1 * (1 + node.x))


# ------------------------------------------------------------------------- recording


@pytest.mark.parametrize("method", ["fixed", "cvode"])
def test_recording_a_node_gives_the_values_read_from_it(method):
    sim = Simulation(dt=0.025)
    m = build(sim)
    if method == "cvode":
        sim.cvode.active(1)
        sim.cvode.atol(1e-8)
    watched = [m["ca"][m["cyt"]].nodes[4], m["ca"][m["er"]].nodes[1], m["h"].nodes[2]]
    Dt, tstop = 0.5, 10.0
    vecs = [Vector().record(nd._ref_concentration, Dt) for nd in watched[:2]]
    vecs.append(Vector().record(watched[2]._ref_value, Dt))  # the alias for States
    tvec = sim.record_t(Dt)
    sim.finitialize(-65)
    read = [[nd.concentration for nd in watched]]
    times = np.arange(1, int(round(tstop / Dt))) * Dt

    def sample():
        read.append([nd.concentration for nd in watched])

    for t in times:
        sim.cvode.event(t, sample)
    sim.continuerun(tstop)
    read = np.array(read)
    rec = np.array([v.as_numpy() for v in vecs]).T
    np.testing.assert_allclose(tvec.as_numpy()[: len(read)], np.r_[0.0, times], rtol=0, atol=1e-9)
    assert len(rec) == len(times) + 2  # 0, the event times, tstop
    # the same state read two ways: identical numbers
    np.testing.assert_array_equal(rec[: len(read)], read)
    np.testing.assert_array_equal(rec[-1], [nd.concentration for nd in watched])
    assert np.ptp(rec[:, 0]) > 1e-3  # and the values did change


# ------------------------------------------------------------- changing the state in an event

T_SET, T_END = 5.0, 10.0


def run_with_change(method, how):
    """Set one cytosolic node to 2 mM at T_SET, by ``how``: 'event' (in a cvode.event
    callback followed by cvode.re_init()), 'between' (between two continuerun calls) or
    'none' (no change); returns all concentrations at T_END."""
    sim = Simulation(dt=0.025)
    m = build(sim)
    if method == "cvode":
        sim.cvode.active(1)
        sim.cvode.atol(1e-8)
    sim.finitialize(-65)
    node = m["ca"][m["cyt"]].nodes[3]

    def change():
        node.concentration = 2.0
        sim.cvode.re_init()

    if how == "event":
        sim.cvode.event(T_SET, change)
    elif how == "between":
        sim.continuerun(T_SET)
        node.concentration = 2.0
    sim.continuerun(T_END)
    assert sim.t == pytest.approx(T_END)
    return np.r_[m["ca"].nodes.concentration, m["h"].nodes.concentration]


@pytest.mark.parametrize("method", ["fixed", "cvode"])
def test_setting_a_node_in_an_event_takes_effect(method):
    event = run_with_change(method, "event")
    between = run_with_change(method, "between")
    unchanged = run_with_change(method, "none")
    # the change matters: measured 1.1 mM at T_END (an event ignored by the integrator
    # would leave `event` equal to `unchanged`)
    assert np.abs(event - unchanged).max() > 0.5
    # fixed step: the same steps in the same order (measured 0 difference); CVODE: the
    # restart at T_SET starts from an interpolated (event) or a reached (between) state,
    # each within the tolerance: measured 1.3e-10 at atol 1e-8; bound: atol
    tol = 1e-12 if method == "fixed" else 1e-8
    np.testing.assert_allclose(event, between, rtol=0, atol=tol)


def test_re_init_restores_initial_values():
    """rxd.re_init() puts every species back to its initial value, mid-run."""
    from cable import Simulation

    sim = Simulation()
    dend = sim.Section("dend", L=10, diam=1, nseg=5)
    r = rxd.Region([dend])
    s = rxd.Species(r, d=1.0, name="s", initial=lambda n: n.x)
    sim.finitialize(-65)
    start = s.nodes.concentration
    sim.continuerun(5.0)
    assert not np.allclose(s.nodes.concentration, start)  # diffusion changed it
    rxd.re_init(sim)
    np.testing.assert_array_equal(s.nodes.concentration, start)
    assert sim.t == pytest.approx(5.0, abs=1e-9)  # 200 steps of 0.025 ms, summed
