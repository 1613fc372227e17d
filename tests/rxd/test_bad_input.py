"""Bad rxd input raises rxd.RxdError with a message naming the problem, before any
simulation time passes, and a rejected object leaves an existing simulation intact."""

import math

import numpy as np
import pytest

import rxd
from cable import Simulation


@pytest.fixture
def sim():
    return Simulation()


@pytest.fixture
def dend(sim):
    return sim.Section("dend", L=10.0, diam=1.0, nseg=4)


@pytest.fixture
def cyt(dend):
    return rxd.Region([dend], name="cyt")


def test_rxd_error_is_a_value_error():
    assert issubclass(rxd.RxdError, ValueError)


# ------------------------------------------------------------ errors at construction


def test_empty_region_rejected():
    with pytest.raises(rxd.RxdError, match=r"Region 'nothing' has no sections; pass the sections it covers"):
        rxd.Region([], name="nothing")


@pytest.mark.parametrize(
    "regions, message",
    [([], r"the list of regions is empty; a species must live in at least one region"), (None, r"no regions given")],
)
def test_species_without_regions_rejected(dend, regions, message):
    with pytest.raises(rxd.RxdError, match=rf"Species 'x': {message}"):
        rxd.Species(regions, name="x")


@pytest.mark.parametrize("d, shown", [(-1, "-1.0"), (-1e-9, "-1e-09"), (math.nan, "nan"), (math.inf, "inf")])
def test_bad_diffusion_coefficient_rejected(cyt, d, shown):
    message = rf"Species 'x': the diffusion coefficient d must be >= 0 and finite \[um2/ms\], got {shown}$"
    with pytest.raises(rxd.RxdError, match=message):
        rxd.Species(cyt, d=d, name="x")


def test_multicompartment_reaction_without_membrane_rejected(dend, cyt):
    er = rxd.Region([dend], name="er", geometry=rxd.FractionalVolume(0.2))
    ca = rxd.Species([cyt, er], name="ca_x")
    with pytest.raises(rxd.RxdError, match=r"MultiCompartmentReaction .* needs membrane=<border Region>"):
        rxd.MultiCompartmentReaction(ca[er] != ca[cyt], 1.0, 1.0)


def test_reversible_scheme_without_kb_rejected(cyt):
    a = rxd.Species(cyt, name="a")
    b = rxd.Species(cyt, name="b")
    with pytest.raises(rxd.RxdError, match=r"Reaction: the reversible scheme a <-> b needs a backward rate kb"):
        rxd.Reaction(a != b, 1.0)


def test_one_way_scheme_with_kb_rejected(cyt):
    a = rxd.Species(cyt, name="a")
    b = rxd.Species(cyt, name="b")
    with pytest.raises(rxd.RxdError, match=r"the one-way scheme a -> b takes no backward rate"):
        rxd.Reaction(a > b, 1.0, 2.0)


# ---------------------------------------------- errors when the model is built (finitialize)


def test_reaction_between_regions_without_common_sections_rejected(sim, dend, cyt):
    other = sim.Section("other", L=10.0, diam=1.0, nseg=4)
    far = rxd.Region([other], name="far")
    a = rxd.Species(cyt, name="a")
    b = rxd.Species(far, name="b")
    # rejected when created, before it can reach the simulation
    with pytest.raises(rxd.RxdError, match=r"its regions \(cyt, far\) share no sections"):
        rxd.Reaction(a[cyt] > b[far], 1.0)
    sim.finitialize(-65)
    assert sim.t == 0.0


def test_reaction_between_species_without_common_region_rejected(sim, dend, cyt):
    other = sim.Section("other", L=10.0, diam=1.0, nseg=4)
    a = rxd.Species(cyt, name="a")
    b = rxd.Species(rxd.Region([other], name="far"), name="b")
    rxd.Reaction(a > b, 1.0)
    with pytest.raises(rxd.RxdError, match=r"its species \['a', 'b'\] share no region"):
        sim.finitialize(-65)


def test_parameter_as_reactant_rejected(sim, cyt):
    a = rxd.Species(cyt, name="a", initial=1.0)
    p = rxd.Parameter(cyt, name="p", value=2.0)
    c = rxd.Species(cyt, name="c")
    with pytest.raises(rxd.RxdError, match=r"Reaction\(a \+ p -> c\): the Parameter p cannot react"):
        rxd.Reaction(a + p > c, 1.0)


def test_initial_function_returning_nan_rejected_naming_the_node(sim, cyt):
    rxd.Species(cyt, name="a", initial=lambda node: math.nan if node.x > 0.5 else 1.0)
    # the first bad node is dend's third segment, centre x = 0.625
    with pytest.raises(rxd.RxdError, match=r"initial value of a\[cyt\] is nan at dend\(0\.625\); .*finite number"):
        sim.finitialize(-65)


@pytest.mark.parametrize("value", [math.nan, math.inf, "high"])
def test_bad_constant_initial_rejected(cyt, value):
    with pytest.raises(rxd.RxdError, match=r"Species 'a': initial must be"):
        rxd.Species(cyt, name="a", initial=value)


# ---------------------------------------------------- an existing simulation stays intact


def running():
    """A simulation run to 1 ms, and its parts."""
    sim = Simulation()
    dend = sim.Section("dend", L=10.0, diam=1.0, nseg=5)
    other = sim.Section("other", L=10.0, diam=1.0, nseg=5)
    cyt = rxd.Region([dend], name="cyt")
    far = rxd.Region([other], name="far")
    a = rxd.Species(cyt, d=1.0, name="a", initial=lambda n: n.x)
    b = rxd.Species(cyt, name="b", initial=0.0)
    p = rxd.Parameter(cyt, name="p", value=2.0)
    o = rxd.Species(far, name="o", initial=1.0)
    rxd.Reaction(a > b, 0.3)
    sim.finitialize(-65)
    sim.continuerun(1.0)
    return sim, dict(dend=dend, cyt=cyt, far=far, a=a, b=b, p=p, o=o)


def state(sim, m):
    return sim.t, np.r_[m["a"].nodes.concentration, m["b"].nodes.concentration, m["o"].nodes.concentration]


BAD = {
    "empty region": (lambda m: rxd.Region([]), r"has no sections"),
    "species without regions": (lambda m: rxd.Species([], name="x"), r"list of regions is empty"),
    "negative d": (lambda m: rxd.Species(m["cyt"], d=-1.0, name="x"), r"must be >= 0 and finite"),
    "nan d": (lambda m: rxd.Species(m["cyt"], d=math.nan, name="x"), r"must be >= 0 and finite"),
    "mcr without membrane": (lambda m: rxd.MultiCompartmentReaction(m["a"] != m["b"], 1.0, 1.0), r"needs membrane="),
    "reversible without kb": (lambda m: rxd.Reaction(m["a"] != m["b"], 1.0), r"needs a backward rate kb"),
    "parameter reactant": (lambda m: rxd.Reaction(m["a"] + m["p"] > m["b"], 1.0), r"the Parameter p cannot react"),
    "rate on a parameter": (lambda m: rxd.Rate(m["p"], 1.0), r"the Parameter p cannot react or be the target of a Rate"),
    "no common sections": (
        lambda m: rxd.Reaction(m["a"][m["cyt"]] > m["o"][m["far"]], 1.0),
        r"share no sections",
    ),
}
@pytest.mark.parametrize("case", list(BAD))
def test_rejected_object_leaves_a_running_simulation_intact(case):
    make_bad, message = BAD[case]
    sim, m = running()
    twin, tm = running()  # the same simulation, never disturbed
    t_before, y_before = state(sim, m)
    with pytest.raises(rxd.RxdError, match=message):
        make_bad(m)
    t_after, y_after = state(sim, m)
    assert t_after == t_before
    np.testing.assert_array_equal(y_after, y_before)
    # and it runs on exactly as if nothing had happened
    sim.continuerun(2.0)
    twin.continuerun(2.0)
    t1, y1 = state(sim, m)
    t2, y2 = state(twin, tm)
    assert t1 == t2
    np.testing.assert_array_equal(y1, y2)
