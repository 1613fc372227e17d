"""Mass conservation in a closed model (no membrane currents, no sources).

Two regions on a 3-section branched tree, cytosol (FractionalVolume 0.83, surface
fraction 1) and ER (FractionalVolume 0.17); species ``a`` lives in both and diffuses;
a MultiCompartmentReaction exchanges it across a ScalableBorder(1) membrane (mass action,
kf != kb); in the cytosol ``a + b <-> c``. Total moles of a (free in both regions plus
bound in c) and of b (free plus bound) are invariants.
"""

import numpy as np
import pytest

import rxd
from cable import Simulation

# Acceptance criterion of the issue: total moles constant to 1e-10 relative.
# (Measured: fixed step <= 7e-16, CVODE <= 1e-14: rounding only.)
DRIFT = 1e-10


def build_closed(sim):
    a_sec = sim.Section("a", L=30.0, diam=2.0, nseg=15)
    b_sec = sim.Section("b", L=20.0, diam=1.0, nseg=10)
    c_sec = sim.Section("c", L=25.0, diam=0.7, nseg=12)
    b_sec.connect(a_sec(1), 0)
    c_sec.connect(a_sec(1), 0)
    secs = [a_sec, b_sec, c_sec]
    # no nrn_region and no ion names: nothing couples to membrane currents
    cyt = rxd.Region(secs, name="cyt", geometry=rxd.FractionalVolume(0.83, surface_fraction=1))
    er = rxd.Region(secs, name="er", geometry=rxd.FractionalVolume(0.17))
    mem = rxd.Region(secs, name="mem", geometry=rxd.ScalableBorder(1))
    # non-uniform initial values so that diffusion, exchange and binding all move mass
    a = rxd.Species(
        [cyt, er],
        d=0.3,
        name="a",
        initial=lambda n: (0.5 + n.x) * (2.0 if n.region is er else 1.0) * (2.0 if n.sec is b_sec else 1.0),
    )
    b = rxd.Species(cyt, d=0.1, name="b", initial=lambda n: 1.0 - 0.5 * n.x)
    c = rxd.Species(cyt, d=0.05, name="c", initial=lambda n: 0.2 if n.sec is c_sec else 0.0)
    rxd.MultiCompartmentReaction(a[er] != a[cyt], 3e5, 1e5, membrane=mem)
    rxd.Reaction(a + b != c, 0.5, 0.1)
    return dict(a=a, b=b, c=c, cyt=cyt, er=er)


def amount(sor):
    """Moles (as mM um3) of one species on one region."""
    nodes = sor.nodes
    return float(np.sum(nodes.concentration * nodes.volume))


def invariants(m):
    """(total a, counting each c as carrying one a; total b, likewise) [mM um3]."""
    a, b, c, cyt, er = m["a"], m["b"], m["c"], m["cyt"], m["er"]
    bound = amount(c[cyt])
    return np.array([amount(a[cyt]) + amount(a[er]) + bound, amount(b[cyt]) + bound])


def parts(m):
    a, c, cyt, er = m["a"], m["c"], m["cyt"], m["er"]
    return np.array([amount(a[cyt]), amount(a[er]), amount(c[cyt])])


def check_nontrivial(start, end):
    # Every process moved mass: a left the ER (exchange), c formed (binding). Without this
    # the test could pass on a model that does nothing.
    assert end[1] < 0.5 * start[1]  # a[er]: 46 -> 6 mM um3 in the fixed run
    assert end[2] > 3 * start[2]  # c: 1.6 -> 62 mM um3


def test_fixed_step_conserves_mass():
    sim = Simulation(dt=0.1)
    m = build_closed(sim)
    sim.finitialize(-65)
    start, inv0 = parts(m), invariants(m)
    drift = []
    for _ in range(10):
        for _ in range(1000):  # 10^4 steps in all
            sim.fadvance()
        drift.append(np.abs(invariants(m) - inv0) / inv0)
    assert sim.t == pytest.approx(1000.0)
    check_nontrivial(start, parts(m))
    assert np.max(drift) < DRIFT


@pytest.mark.parametrize("atol", [1e-6, 1e-8])
def test_cvode_conserves_mass(atol):
    sim = Simulation()
    m = build_closed(sim)
    sim.cvode.active(1)
    sim.cvode.atol(atol)
    sim.finitialize(-65)
    start, inv0 = parts(m), invariants(m)
    drift = []
    for t in (1.0, 10.0, 100.0, 1000.0):
        sim.continuerun(t)
        drift.append(np.abs(invariants(m) - inv0) / inv0)
    check_nontrivial(start, parts(m))
    assert np.max(drift) < DRIFT


def diffusion_line(sim):
    dend = sim.Section("dend", L=100.0, diam=1.0, nseg=101)
    r = rxd.Region([dend], nrn_region="i")
    return rxd.Species(r, d=1.0, name="c", initial=lambda node: 1.0 if 0.4 < node.x < 0.6 else 0.0)


def test_fixed_step_conserves_mass_from_a_step():
    sim = Simulation(dt=0.025)
    c = diffusion_line(sim)
    sim.finitialize(-65)
    vol = c.nodes.volume
    m0 = c.nodes.concentration @ vol
    sim.continuerun(200.0)
    # rounding only (measured 1.5e-15)
    assert abs(c.nodes.concentration @ vol - m0) < DRIFT * m0


@pytest.mark.parametrize(
    "linsolver, bound",
    [
        # the compiled Jacobian: Newton corrections exact for a linear system
        ("sparse", DRIFT),
        # CVODE's difference-quotient band Jacobian: corrections accurate to about atol,
        # measured 2.4e-9 of the mass by 200 ms at atol 1e-8 (documented in docs/rxd.md)
        ("auto", 1e-8),
    ],
)
def test_cvode_conserves_mass_from_a_step(linsolver, bound):
    sim = Simulation()
    c = diffusion_line(sim)
    sim.cvode.active(1)
    sim.cvode.atol(1e-8)
    sim.cvode.linsolver(linsolver)
    sim.finitialize(-65)
    vol = c.nodes.volume
    m0 = c.nodes.concentration @ vol
    sim.continuerun(200.0)
    assert abs(c.nodes.concentration @ vol - m0) < bound * m0
