"""The compiled right-hand side and Jacobian (``rxd._system.RxdSystem.local_rhs`` and
``local_jacobian`` on the CSR ``pattern``): the Jacobian against finite differences of
the right-hand side on the 168874 base-wave model, and hand-derived rates."""

import numpy as np
import pytest
import scipy.sparse as sp

import rxd
from cable import Simulation
from rxd._compile import AVOGADRO_PER_MM_UM3
from rxd._system import system_for


def species(system, name):
    (s,) = [s for s in system.species if s.name == name]
    return s


def block(system, sor):
    """The slice of the rxd state vector holding a species on a region."""
    off = system.sor_offset[sor]
    return slice(off, off + len(sor.nodes))


# ------------------------------------------------------- Jacobian vs finite differences


@pytest.fixture(scope="module")
def wave_system(example):
    """The base-wave model's rxd system at a perturbed random state: (system, y, J) with J
    the compiled Jacobian as a CSR matrix."""
    sim = Simulation()
    m = example("cawave").build(sim)
    sim.finitialize(-65)
    system = system_for(sim)
    rng = np.random.default_rng(168874)
    # every state and parameter scaled by a random factor in [0.5, 2], and cytosolic
    # calcium spread over its range during the wave (0.05 .. 2 uM) so that the Hill terms
    # and the IP3R flux are exercised away from rest
    y = system.y.copy() * rng.uniform(0.5, 2.0, system.size)
    y[block(system, m["ca"][m["cyt"]])] = rng.uniform(5e-5, 2e-3, len(m["ca"][m["cyt"]].nodes))
    system.pvals[:] *= rng.uniform(0.5, 2.0, len(system.pvals))
    P = system.pattern
    J = sp.csr_matrix((system.local_jacobian(y).copy(), P.indices.copy(), P.indptr.copy()), shape=P.shape)
    return system, y, J


def test_wave_model_has_the_expected_states(wave_system):
    system, y, J = wave_system
    names = [repr(s) for s in system.sors]
    assert names == ["ca[cyt]", "ca[er]", "ip3[cyt]", "h_gate[cyt_er_membrane]"]
    assert system.size == 4000 and J.shape == (4000, 4000)


def test_jacobian_matches_finite_differences(wave_system):
    system, y, J = wave_system
    n = system.size
    Jc = J.tocsc()
    dense_col = np.zeros(n)
    fp, fm = np.zeros(n), np.zeros(n)
    row_scale = np.abs(J).max(axis=1).toarray().ravel()
    assert np.all(row_scale > 0)
    worst = 0.0
    outside = 0.0
    for j in range(n):
        h = 1e-5 * abs(y[j])  # every state is > 0 here
        yp, ym = y.copy(), y.copy()
        yp[j] += h
        ym[j] -= h
        system.local_rhs(yp, fp)
        system.local_rhs(ym, fm)
        fd = (fp - fm) / (2 * h)
        dense_col[:] = 0.0
        rows = Jc.indices[Jc.indptr[j] : Jc.indptr[j + 1]]
        dense_col[rows] = Jc.data[Jc.indptr[j] : Jc.indptr[j + 1]]
        worst = max(worst, np.max(np.abs(fd - dense_col) / row_scale))
        off = np.ones(n, dtype=bool)
        off[rows] = False
        outside = max(outside, np.abs(fd[off]).max())
    # Central differences with h = 1e-5 |y|: truncation ~1e-10 and round-off
    # eps |f| / h ~ 1e-11 relative to each row's largest entry; measured 2.0e-10. The
    # issue asks for 1e-6 (a wrong term, e.g. a missing factor of the IP3R's cube, is O(1)).
    assert worst < 1e-6
    # nothing outside the pattern: rows that do not involve y[j] are computed identically
    assert outside == 0.0


def test_jacobian_matches_complex_step_derivatives(wave_system):
    """Complex-step derivatives are exact to rounding (no subtraction), so small entries,
    which round-off hides in the finite differences above, are checked entry by entry."""
    system, y, J = wave_system
    n = system.size
    Jc = J.tocsc()
    out = np.zeros(n, dtype=complex)
    worst = 0.0
    for j in range(n):
        h = 1e-30 * abs(y[j])
        yc = y.astype(complex)
        yc[j] += 1j * h
        system.local_rhs(yc, out)
        col = out.imag / h
        rows = Jc.indices[Jc.indptr[j] : Jc.indptr[j + 1]]
        vals = Jc.data[Jc.indptr[j] : Jc.indptr[j + 1]]
        nz = vals != 0
        worst = max(worst, np.max(np.abs(col[rows][nz] - vals[nz]) / np.abs(vals[nz])))
    # measured 2.7e-13 entrywise: rounding, amplified in entries that are sums of terms of
    # opposite sign (the IP3R and leak fluxes kf a_er - kb a_cyt); 1e-10 still catches any
    # wrong term or factor
    assert worst < 1e-10


# ----------------------------------------------------------------- hand-derived rates

KF, KB = 0.7, 0.3
NSEG = 7


def simple_model(kind):
    """a, b, c (d = 0) on one section, and one reaction; returns (system, parts)."""
    sim = Simulation()
    sec = sim.Section("s", L=14.0, diam=1.5, nseg=NSEG)
    if kind == "mcr":
        cyt = rxd.Region([sec], name="cyt", geometry=rxd.FractionalVolume(0.83, surface_fraction=1))
        er = rxd.Region([sec], name="er", geometry=rxd.FractionalVolume(0.17))
        mem = rxd.Region([sec], name="mem", geometry=rxd.ScalableBorder(1))
        a = rxd.Species([cyt, er], name="a", initial=1.0)
        rxd.MultiCompartmentReaction(a[er] != a[cyt], KF, KB, membrane=mem)
        parts = dict(a=a, cyt=cyt, er=er, mem=mem)
    else:
        r = rxd.Region([sec], name="r")
        a, b, c = (rxd.Species(r, name=nm, initial=1.0) for nm in "abc")
        if kind == "reversible":
            rxd.Reaction(a + 2 * b != c, KF, KB)
        elif kind == "one-way":
            rxd.Reaction(a + 2 * b > c, KF)
        elif kind == "custom":
            rxd.Reaction(a + 2 * b != c, KF * a / (1 + b), KB * c, custom_dynamics=True)
        parts = dict(a=a, b=b, c=c, r=r)
    sim.finitialize(-65)
    return system_for(sim), parts


@pytest.mark.parametrize("kind", ["reversible", "one-way", "custom"])
def test_mass_action_rate_matches_hand_derivation(kind):
    system, p = simple_model(kind)
    r = p["r"]
    ia, ib, ic = (block(system, p[k][r]) for k in "abc")
    rng = np.random.default_rng(7)
    y = rng.uniform(0.1, 2.0, system.size)
    a, b, c = y[ia], y[ib], y[ic]
    if kind == "reversible":
        rate = KF * a * b**2 - KB * c
        # d rate / d(a, b, c)
        grad = [KF * b**2, 2 * KF * a * b, -KB * np.ones(NSEG)]
    elif kind == "one-way":
        rate = KF * a * b**2
        grad = [KF * b**2, 2 * KF * a * b, np.zeros(NSEG)]
    else:  # custom dynamics: the rate is kf - kb as given
        rate = KF * a / (1 + b) - KB * c
        grad = [KF / (1 + b), -KF * a / (1 + b) ** 2, -KB * np.ones(NSEG)]
    out = np.zeros(system.size)
    system.local_rhs(y, out)
    # a few flops on O(1) numbers: rounding only (measured <= 6e-16 relative)
    np.testing.assert_allclose(out[ia], -rate, rtol=1e-12)
    np.testing.assert_allclose(out[ib], -2 * rate, rtol=1e-12)
    np.testing.assert_allclose(out[ic], rate, rtol=1e-12)
    P = system.pattern
    J = sp.csr_matrix((system.local_jacobian(y).copy(), P.indices, P.indptr), shape=P.shape).toarray()
    for target, coeff in ((ia, -1), (ib, -2), (ic, 1)):
        for source, g in zip((ia, ib, ic), grad):
            np.testing.assert_allclose(np.diag(J[target, source]), coeff * g, rtol=1e-12, atol=0)


def test_multicompartment_rate_matches_hand_derivation():
    """Flux density kf a_er - kb a_cyt [molecules/(um2 ms)] through the membrane area A:
    d a_cyt/dt = +flux A / (N V_cyt), d a_er/dt = -flux A / (N V_er), N = 602214.076."""
    system, p = simple_model("mcr")
    a, cyt, er = p["a"], p["cyt"], p["er"]
    icyt, ier = block(system, a[cyt]), block(system, a[er])
    rng = np.random.default_rng(8)
    y = rng.uniform(0.1, 2.0, system.size)
    flux = KF * y[ier] - KB * y[icyt]
    area = np.array([1.5 * 14.0 / NSEG] * NSEG)  # ScalableBorder(1): diam x dx
    seg_vol = np.pi * 1.5**2 / 4 * 14.0 / NSEG
    assert AVOGADRO_PER_MM_UM3 == pytest.approx(602214.076, rel=1e-15)
    out = np.zeros(system.size)
    system.local_rhs(y, out)
    # rounding only (measured 1.8e-16 relative)
    np.testing.assert_allclose(out[icyt], flux * area / (602214.076 * 0.83 * seg_vol), rtol=1e-12)
    np.testing.assert_allclose(out[ier], -flux * area / (602214.076 * 0.17 * seg_vol), rtol=1e-12)
    # the ER loses what the cytosol gains
    v_cyt, v_er = a[cyt].nodes.volume, a[er].nodes.volume
    np.testing.assert_allclose(out[icyt] * v_cyt, -out[ier] * v_er, rtol=1e-12)


# ------------------------------------------------------- when the step matrix is factored


def _factorizations(make_rate, steps=12, dt=0.025):
    """How often the 1D fixed step factors its matrix in ``steps`` steps of a pump on one
    section (``make_rate(ca, region)`` gives the Rate's expression), the last two at 2 dt."""
    sim = Simulation(dt=dt)
    sec = sim.Section("s")
    sec.L, sec.diam, sec.nseg = 10.0, 1.0, 5
    cyt = rxd.Region([sec], nrn_region="i")
    ca = rxd.Species(cyt, d=0.6, name="ca", charge=2, initial=1e-3)
    rate = rxd.Rate(ca, make_rate(ca, cyt))
    sim.finitialize(-65)
    system = system_for(sim)
    calls = []
    factor = system._solver.factor
    system._solver.factor = lambda *a: (calls.append(sim.t), factor(*a))[1]
    for _ in range(steps - 2):
        sim.fadvance()
    sim.dt = 2 * dt
    sim.fadvance()
    sim.fadvance()
    del rate
    return len(calls)


def test_a_constant_jacobian_is_factored_once_per_dt():
    # linear in the state, constant coefficients: at the first step and at the new dt
    assert _factorizations(lambda ca, r: -0.1 * (ca - 1e-4)) == 2
    # nonlinear: every refactor_every (5) steps, and at the new dt: steps 1, 6, 11 (dt) = 3
    assert _factorizations(lambda ca, r: -0.1 * ca * ca) == 3
    # a Parameter may be changed by hand: treated as varying
    assert _factorizations(lambda ca, r: -rxd.Parameter(r, value=0.1, name="k") * ca) == 3
