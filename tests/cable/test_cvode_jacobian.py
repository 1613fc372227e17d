"""The variable step's sparse Jacobian (cable/_cvode.py, cable/_fdjac.py): the columns of
mechanism states, differenced by evaluating one mechanism block alone, equal the forward
differences of the full right-hand side that filled them before."""

import numpy as np
import pytest

import rxd
from cable import DensityMechanism, IonUse, PointProcess, Simulation
from cable._fdjac import greedy_column_colors
from cable._mechanism import Context


# -- test mechanisms: an ica channel with a rates and a derivative state, a calcium-
# activated potassium channel, an ica point process, an electrode with a state, and a
# channel that reads ica (which makes the ica writers unfit for evaluation alone)
def _cachan_rates(v, states, params, ions, ctx):
    return {"m": (1.0 / (1.0 + np.exp(-(v + 20.0) / 5.0)), params["mtau"] + 0.0 * v)}


def _cachan_derivative(v, states, params, ions, ctx):
    hinf = 1.0 / (1.0 + np.exp((v + 40.0) / 6.0))
    return {"h": (hinf - states["h"]) / params["htau"]}


def _cachan_current(v, states, params, ions, ctx):
    m = states["m"]
    return {"ica": params["gcabar"] * m * m * states["h"] * (v - ions["eca"])}


CACHAN = DensityMechanism(
    name="cachan_j",
    parameters={"gcabar": 0.002, "mtau": 1.0, "htau": 20.0},
    states=("m", "h"),
    ions=(IonUse("ca", read=("eca",), write=("ica",)),),
    rates=_cachan_rates,
    derivative=_cachan_derivative,
    current=_cachan_current,
)


def _kca_derivative(v, states, params, ions, ctx):
    cai = ions["cai"]
    return {"o": (cai / (cai + params["kd"]) - states["o"]) / params["tau"]}


KCA = DensityMechanism(
    name="kca_j",
    parameters={"gbar": 0.01, "kd": 1e-3, "tau": 5.0},
    states=("o",),
    ions=(IonUse("ca", read=("cai",)), IonUse("k", read=("ek",), write=("ik",))),
    derivative=_kca_derivative,
    current=lambda v, s, p, ions, ctx: {"ik": p["gbar"] * s["o"] * (v - ions["ek"])},
)

CAPOINT = PointProcess(
    name="capoint_j",
    parameters={"gmax": 2e-4},
    states=("s",),
    ions=(IonUse("ca", write=("ica",)),),
    rates=lambda v, s, p, ions, ctx: {"s": (1.0 / (1.0 + np.exp(-(v + 30.0) / 4.0)), 2.0 + 0.0 * v)},
    current=lambda v, s, p, ions, ctx: {"ica": p["gmax"] * s["s"] * (v - 60.0)},
)

DRIVE = PointProcess(
    name="drive_j",
    parameters={"amp": 0.05},
    states=("q",),
    nonspecific=("i",),
    electrode=True,
    rates=lambda v, s, p, ions, ctx: {"q": (0.5 + 0.0 * v, 4.0 + 0.0 * v)},
    current=lambda v, s, p, ions, ctx: {"i": p["amp"] * s["q"]},
)

READER = DensityMechanism(
    name="reader_j",
    parameters={"gbar": 0.001},
    states=("r",),
    ions=(IonUse("ca", read=("ica",)), IonUse("k", read=("ek",), write=("ik",))),
    rates=lambda v, s, p, ions, ctx: {"r": (1.0 / (1.0 + np.exp(ions["ica"] * 1e3)), 3.0 + 0.0 * v)},
    current=lambda v, s, p, ions, ctx: {"ik": p["gbar"] * s["r"] * (v - ions["ek"])},
)


def _run(tstop, reader=False):
    """A soma and a dendrite (zero-area junction and end nodes) with hh and the test
    mechanisms, point processes with states (Exp2Syn driven by a NetStim, an ica point
    process, an electrode), rxd calcium with a buffer coupled through ica and cai; CVODE
    with the sparse solver run to ``tstop`` [ms] (spikes from 1.5 ms on)."""
    sim = Simulation(celsius=6.3)
    for spec in (CACHAN, KCA, READER):
        sim.register_mechanism(spec)
    capoint = sim.register_mechanism(CAPOINT)
    drive = sim.register_mechanism(DRIVE)
    soma = sim.Section("soma", L=20.0, diam=20.0)
    dend = sim.Section("dend", L=200.0, diam=1.0, nseg=7, Ra=200.0)
    dend.connect(soma(1))
    for sec in (soma, dend):
        for name in ("hh", "cachan_j", "kca_j") + (("reader_j",) if reader else ()):
            sec.insert(name)
    parts = [capoint(dend(0.5)), drive(soma(0.5)), sim.IClamp(soma(0.5), delay=1.0, dur=50.0, amp=0.3)]
    syn = sim.Exp2Syn(dend(0.3), tau1=0.5, tau2=3.0, e=0.0)
    stim = sim.NetStim(start=1.0, interval=2.0, number=10.0, noise=0.0)
    parts += [syn, stim, sim.NetCon(stim, syn, 0.0, 0.0, 0.002)]
    cyt = rxd.Region([soma, dend], nrn_region="i")
    ca = rxd.Species(cyt, d=0.6, name="ca", charge=2, initial=5e-5)
    buf = rxd.Species(cyt, d=0.0, name="buf", initial=0.05)
    cabuf = rxd.Species(cyt, d=0.0, name="cabuf", initial=0.0)
    parts += [cyt, ca, buf, cabuf, rxd.Reaction(ca + buf != cabuf, 100.0, 0.1)]
    sim.cvode.active(1)
    sim.cvode.atol(1e-6)
    sim.cvode.linsolver("sparse")
    sim.finitialize(-65.0)
    sim.continuerun(tstop)
    sim._parts = parts
    return sim


def _old_jacobian(integ, t, y, yp):
    """The Jacobian as _jac filled it before: analytic rxd entries, every other column by
    forward differences of the full right-hand side (coloured), with the same steps."""
    S, ncv = integ.sparsity, integ.ncv
    covered = integ._block_jac.columns.copy()
    for members, *_ in integ._groups:
        covered[members] = True
    analytic = ~covered
    JJ = np.zeros(S.nnz)
    integ._load(y)
    for ext, pos, keep in integ._ext_jac:
        np.add.at(JJ, pos, ext.jacobian_values(integ.model, t)[keep])
    h = 1.5e-8 * np.maximum(np.abs(y), 1.0)
    colors = greedy_column_colors(S, skip=analytic)
    col_of = np.repeat(np.arange(ncv), np.diff(S.indptr))
    f = np.zeros(ncv)
    for c in range(colors.max() + 1):
        members = np.flatnonzero(colors == c)
        p = np.flatnonzero(colors[col_of] == c)
        yt = np.array(y)
        yt[members] += h[members]
        integ._rhs(t, yt, f)
        JJ[p] = (f[S.indices[p]] - yp[S.indices[p]]) / h[col_of[p]]
    integ._load(y)
    return JJ


def _jacobians(sim):
    integ = sim._integrator
    y = integ.state()
    yp = np.zeros(integ.ncv)
    integ._rhs(sim.t, y, yp)
    new = np.zeros(integ.sparsity.nnz)
    integ._jac(sim.t, y, yp, new)
    return integ, new, _old_jacobian(integ, sim.t, y, yp)


def _column_max(S, values):
    M = S.copy()
    M.data = np.abs(values)
    return np.asarray(M.max(axis=0).todense()).ravel()


def _potential_terms(sim):
    """Per solver row: for a potential, the sum of the magnitudes of the terms of its
    right-hand side, (sum over blocks |I| + sum_j |G_ij v_j|) / C [mV/ms]; 0 elsewhere."""
    integ, m = sim._integrator, sim._model
    integ._load(integ.state())
    ctx = Context(sim.t, np.nan, sim.celsius, integ.t_phase)
    m.sync_ions(ctx.celsius)
    terms = abs(m.G) @ np.abs(m.v)
    for b in m.blocks + m.pp_blocks:
        total, _ = b.current_terms(m.v, m.ions, ctx)
        np.add.at(terms, b.nodes, np.abs(total * b.area_scale))
    out = np.zeros(integ.ncv)
    out[: integ.nc] = terms[integ.cap] / integ.Cc
    return out


@pytest.mark.parametrize("tstop", [0.5, 4.0, 9.0, 15.0])
@pytest.mark.parametrize("reader", [False, True])
def test_block_columns_equal_full_differences(tstop, reader):
    sim = _run(tstop, reader)
    integ, new, old = _jacobians(sim)
    names = {plan.block.spec.name for plan in integ._block_jac.plans}
    if reader:
        # reader_j reads the summed ica, so neither it nor the ica writers are evaluated alone
        assert names == {"hh", "kca_j", "drive_j", "Exp2Syn"}
        assert not integ._block_jac._probes
    else:
        assert names == {"hh", "cachan_j", "kca_j", "capoint_j", "drive_j", "Exp2Syn"}
        assert [ions for _, ions, *_ in integ._block_jac._probes] == [{"ca"}]
    S = integ.sparsity
    col_of = np.repeat(np.arange(integ.ncv), np.diff(S.indptr))
    rows = S.indices
    scale = _column_max(S, old)[col_of]
    diff = np.abs(new - old)
    assert np.all(diff[scale == 0] == 0)
    # Both are forward differences with the same steps h = 1.5e-8 max(|y|, 1): they differ
    # by rounding only, eps |terms of the row| / h. The old ones difference the whole
    # right-hand side; in a potential's row its terms (all currents and the axial G v,
    # over C) reach 1e-5 of a slow gate's column during a spike (the block's own current
    # is smaller), so there the bound is the rounding of those terms (measured: at most
    # 0.23 of it); elsewhere 1e-6 of the column's largest entry (measured 1e-11). A wrong
    # or missing term (the ica source of rxd, an area, a sign) would be of the order of
    # the entry. On the 1 um compartments of ModelDB 168874 the old rounding reaches 1e-2
    # of a column; the new entries agree there with central differences.
    h = 1.5e-8 * np.maximum(np.abs(integ.state()), 1.0)
    rounding = 4.0 * np.finfo(float).eps * _potential_terms(sim)[rows] / h[col_of]
    assert np.all(diff <= 1e-6 * scale + rounding)


def test_block_columns_leave_the_model_untouched():
    sim = _run(4.0)
    integ, m = sim._integrator, sim._model
    y = integ.state()
    integ._load(y)
    ctx = Context(sim.t, np.nan, sim.celsius, integ.t_phase)
    m.sync_ions(ctx.celsius)
    m.membrane_currents(ctx, slopes=False)
    blocks = m.blocks + m.pp_blocks

    def snapshot():
        arrays = [m.y, m.i_total, m.g_total]
        arrays += [getattr(ion, k) for ion in m.ions.values() for k in ("i", "di_dv", "ci", "co", "e")]
        arrays += [a for b in blocks for a in list(b.currents.values()) + list(b.outputs.values())]
        return [a.copy() for a in arrays]

    before = snapshot()
    JJ = np.zeros(integ.sparsity.nnz)
    integ._block_jac.fill(JJ, ctx, y, 1.5e-8 * np.maximum(np.abs(y), 1.0))
    assert np.any(JJ != 0)
    for a, b in zip(before, snapshot()):
        np.testing.assert_array_equal(a, b)


def test_fewer_full_evaluations():
    # potentials and coupled rxd states need full evaluations; the 3 hh gates, 2 + 1 gates
    # of the test channels and the point processes' states no longer do
    sim = _run(0.5)
    integ = sim._integrator
    n_full = len(integ._groups)
    colors = greedy_column_colors(integ.sparsity, skip=~(integ._block_jac.columns | _full_columns(integ)))
    assert n_full + len(integ._block_jac.plans) < colors.max() + 1


def _full_columns(integ):
    out = np.zeros(integ.ncv, dtype=bool)
    for members, *_ in integ._groups:
        out[members] = True
    return out
