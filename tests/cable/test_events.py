"""Network events (NetStim, NetCon, ExpSyn, Exp2Syn, IntFire1) against NEURON 9.0.2.

References: ``tests/reference/make_event_refs.py`` (files ``events_*.npz``):

* ``events_netstim_expsyn``: hh soma (nseg 1, L = diam = 20 um, Ra 35.4), celsius 6.3,
  v_init -65; ExpSyn(soma(0.5)) tau 2 ms, e 0; NetStim start 10, interval 20, number 5,
  noise 0 -> NetCon delay 1 ms, weight 0.02 uS; output spikes from a NetCon on
  soma(0.5).v, threshold 0; 120 ms. Fixed step dt 0.025 and CVODE atol 1e-6.
* ``events_netstim_exp2syn``: the same with Exp2Syn tau1 0.5, tau2 5 ms, weight 0.01 uS.
* ``events_intfire1_net``: 100 IntFire1 (tau 10, refrac 5), i -> (i+1, i+7, i+31) % 100,
  weight 0.4, delay 1 + 0.5*(i % 5); NetStim (start 1, interval 10, number 20) -> cells
  0..9, weight 1.1, delay 0.5; all spikes to 300 ms. NEURON runs it without sections.
* ``events_delay0_cvode``: hh soma + IClamp (1 ms, 20 ms, 0.5 nA); NetCon from soma(0.5).v,
  delay 0, weight 2 -> IntFire1; CVODE atol 1e-6, condition_order 1 and 2.

Measured (this machine): fixed step v within 3e-11 mV, output spike times within
1.1e-10 ms (time-grid round-off); CVODE v within 7e-4 mV (ExpSyn), output spikes within
2.0e-3 ms of NEURON's default (condition_order 1: the first internal step above
threshold) and 1.3e-5 ms of NEURON's condition_order(2) (linear interpolation, our
rule); delay-0 delivery 9.2e-6 ms from NEURON's condition_order(2) time; input event
times and the IntFire1 network: exact (0 ms) with both methods. NEURON's CVODE reports a
crossing at the end of the first internal step above threshold unless condition_order(2).
"""

import functools

import numpy as np
import pytest

from cable import CableError, Simulation

# ---------------------------------------------------------------- tolerances
T_GRID = 1e-9  # ms: both programs sum dt; the grids differ by ~1e-10 ms at 120 ms
V_TOL_FIXED = 1e-6  # mV: same algorithm (measured <= 3.3e-11 mV)
G_TOL_FIXED = 1e-12  # uS: same algorithm (measured 0)
EVENT_TOL = 1e-6  # ms: event times (NetStim, IntFire1) are exact sums of the parameters
SPIKE_TOL_CVODE = 0.01  # ms, the criterion (measured 2.0e-3 / 3.2e-3 ms)
# Our CVODE crossing rule is NEURON's condition_order(2) (linear interpolation between
# the two internal steps around the crossing); different step sequences leave a
# difference of 1.3e-5 / 8.3e-6 ms.
SPIKE_TOL_ORDER2 = 1e-4  # ms
# Two step controllers at atol 1e-6: measured 6.8e-4 mV (ExpSyn), 2.7e-3 mV (Exp2Syn with
# the KeyError below patched out); 0.01 mV still tells a delivery shifted by one step.
V_TOL_CVODE = 0.01  # mV
G_TOL_CVODE = 1e-6  # uS (measured 6.5e-8 uS for the ExpSyn state g)

V_INIT, TSTOP_A, TSTOP_NET = -65.0, 120.0, 300.0
DT, ATOL, REC_DT = 0.025, 1e-6, 0.025
SYN = {
    "expsyn": dict(cls="ExpSyn", params=dict(tau=2.0, e=0.0), weight=0.02),
    "exp2syn": dict(cls="Exp2Syn", params=dict(tau1=0.5, tau2=5.0, e=0.0), weight=0.01),
}
STIM_A = dict(start=10.0, interval=20.0, number=5, noise=0.0)
IN_DELAY = 1.0

BUG_EXP2SYN = (
    "BUG: any model with an Exp2Syn fails in finitialize with KeyError 'factor': "
    "cable/_blocks.py:129-130 (Block.add_currents) copies every spec.assigned name from "
    "current()'s output, but Exp2Syn's current (cable/_builtin.py:198-200) returns only "
    "'i' and 'g', not its assigned 'factor' (cable/_builtin.py:213)"
)
BUG_STALE_ASSIGNED = (
    "BUG: under CVODE, Vector.record(ref, Dt) samples of assigned variables and currents "
    "(Exp2Syn.g, ExpSyn.i, ...) are stale: cable/_cvode.py:341-344 (_stretch) loads the "
    "interpolated states and records without re-evaluating the currents, so they hold the "
    "value of the last right-hand-side evaluation (Exp2Syn g off by up to 3.5e-4 uS = 15% "
    "at 11.1 ms; NEURON's samples equal B - A within 1e-8)"
)
BUG_NO_SECTIONS = (
    "BUG: a network of artificial cells alone cannot run: Simulation.finitialize raises "
    "CableError 'the simulation has no sections' (cable/_simulation.py:325, _ensure_built); "
    "NEURON 9.0.2 runs it with both methods"
)
BUG_DOUBLE_SPIKE = (
    "BUG: under CVODE one threshold crossing of a voltage source fires twice when a NetCon "
    "from it has delay 0: the integrator goes back to the interpolated crossing time "
    "(cable/_cvode.py:349-352), where v is still just below threshold (-0.0029 mV: linear "
    "interpolation is early on the convex upstroke); the next detect_interpolated "
    "(cable/_netcon.py:230-232) sets _above = False from it, re-arms, and fires again "
    "~1e-5 ms later; NEURON gives one spike per crossing with condition_order 1 and 2"
)
BUG_INERT_CVODE = (
    "BUG: CVODE with no ODE states (a bare section, no mechanism: electrically inert, "
    "static_v in cable/_cvode.py:55-60, so ncv = 0) crashes in sksundae's init_step "
    "(cable/_cvode.py:103) with ValueError 'Cannot create cython.array from NULL pointer'"
)


def _syn_param(kind):
    return kind


KINDS = [_syn_param(k) for k in SYN]


# ---------------------------------------------------------------- model (a)
def build_syn(sim, kind):
    soma = sim.Section("soma", L=20.0, diam=20.0, nseg=1, Ra=35.4)
    soma.insert("hh")
    p = SYN[kind]
    syn = getattr(sim, p["cls"])(soma(0.5), **p["params"])
    ns = sim.NetStim(**STIM_A)
    nc_in = sim.NetCon(ns, syn, 0.0, IN_DELAY, p["weight"])
    nc_out = sim.NetCon(soma(0.5)._ref_v, None, 0.0, 1.0, 0.0, sec=soma)
    return dict(soma=soma, syn=syn, ns=ns, nc_in=nc_in, nc_out=nc_out)


@functools.lru_cache(maxsize=None)
def simulate_syn(kind, method):
    """Run model (a) once per session; returns a dict of numpy arrays and the sim."""
    sim = Simulation(celsius=6.3)
    m = build_syn(sim, kind)
    if method == "cvode":
        sim.cvode.active(1)
        sim.cvode.atol(ATOL)
        rec_dt = REC_DT
    else:
        sim.dt = DT
        rec_dt = None
    t = sim.record_t(dt=rec_dt)
    v = sim.record(m["soma"](0.5), "v", dt=rec_dt)
    g = sim.record(m["syn"], "g", dt=rec_dt)
    t_in, t_out = [], []
    m["nc_in"].record(t_in)
    m["nc_out"].record(t_out)
    sim.finitialize(V_INIT)
    sim.continuerun(TSTOP_A)
    out = dict(t=t.as_numpy().copy(), v=v.as_numpy().copy(), g=g.as_numpy().copy(),
               input_spikes=np.array(t_in), spikes=np.array(t_out))
    return sim, out


def first_step_above(t, v, threshold=0.0):
    """NEURON's fixed-step NetCon time: the first step t_n with v(t_n) above threshold."""
    i = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold)) + 1
    return t[i]


# ---------------------------------------------------------------- model (b)
def build_net(sim):
    cells = [sim.IntFire1(tau=10.0, refrac=5.0) for _ in range(100)]
    for i in range(100):
        for off in (1, 7, 31):
            sim.NetCon(cells[i], cells[(i + off) % 100], 0.0, 1.0 + 0.5 * (i % 5), 0.4)
    ns = sim.NetStim(start=1.0, interval=10.0, number=20, noise=0.0)
    for i in range(10):
        sim.NetCon(ns, cells[i], 0.0, 0.5, 1.1)
    recs = []
    for c in cells:
        spikes = []
        sim.NetCon(c, None).record(spikes)
        recs.append(spikes)
    return recs


def run_net(method, dummy):
    """The IntFire1 network; ``dummy``: None (no section), "pas" or "bare" (a section
    without mechanisms). Returns (ids, times) sorted by time then id."""
    sim = Simulation()
    if dummy is not None:
        sec = sim.Section("dummy")
        if dummy == "pas":
            sec.insert("pas")
    recs = build_net(sim)
    if method == "cvode":
        sim.cvode.active(1)
        sim.cvode.atol(ATOL)
    else:
        sim.dt = DT
    sim.finitialize(V_INIT)
    sim.continuerun(TSTOP_NET)
    ids = np.concatenate([np.full(len(r), i) for i, r in enumerate(recs)]).astype(np.int64)
    t = np.concatenate([np.asarray(r, dtype=float) for r in recs])
    order = np.lexsort((ids, t))
    return ids[order], t[order]


def assert_same_spike_list(ids, t, ref):
    assert len(t) == len(ref["t"]), (len(t), len(ref["t"]))
    np.testing.assert_array_equal(ids, ref["id"])
    np.testing.assert_allclose(t, ref["t"], rtol=0, atol=EVENT_TOL)


# ================================================================ the references
@pytest.mark.parametrize("kind", list(SYN))
@pytest.mark.parametrize("method", ["fixed", "cvode"])
def test_reference_describes_the_model_built_here(reference, kind, method):
    ref = reference(f"events_netstim_{kind}_{method}")
    meta = ref["meta"]
    assert meta["neuron_version"] == "9.0.2"
    p = meta["params"]
    assert (p["celsius"], p["v_init"], p["tstop_ms"]) == (6.3, V_INIT, TSTOP_A)
    assert {k: p["soma"][k] for k in ("L", "diam", "nseg", "Ra", "cm")} == dict(
        L=20.0, diam=20.0, nseg=1, Ra=35.4, cm=1.0)
    assert p["netstim"] == STIM_A
    s = dict(p["synapse"])
    assert s.pop("type") == SYN[kind]["cls"] and s.pop("loc") == "soma(0.5)"
    assert s == SYN[kind]["params"]
    assert (p["netcon_in"]["delay"], p["netcon_in"]["weight"]) == (IN_DELAY, SYN[kind]["weight"])
    if method == "cvode":
        assert (meta["atol"], meta["rtol"]) == (ATOL, 0.0)
        assert len(ref["t"]) == round(TSTOP_A / REC_DT) + 1
    else:
        assert (meta["dt"], meta["secondorder"]) == (DT, 0)
        assert len(ref["t"]) == round(TSTOP_A / DT) + 1
    assert len(ref["spikes"]) == 5  # one output spike per input event


@pytest.mark.parametrize("method", ["fixed", "cvode"])
def test_net_reference_describes_the_model_built_here(reference, method):
    ref = reference(f"events_intfire1_net_{method}")
    p = ref["meta"]["params"]
    assert ref["meta"]["neuron_version"] == "9.0.2"
    assert (p["n_cells"], p["cell"]["tau"], p["cell"]["refrac"]) == (100, 10.0, 5.0)
    assert (p["conn_offsets"], p["conn_weight"], p["conn_delay"]) == ([1, 7, 31], 0.4, "1 + 0.5*(i % 5)")
    assert p["netstim"] == dict(start=1.0, interval=10.0, number=20, noise=0.0)
    assert (p["stim_weight"], p["stim_delay"], p["tstop_ms"]) == (1.1, 0.5, TSTOP_NET)
    assert int(ref["n_after_tstop"]) == 0
    assert np.all(np.diff(ref["t"]) >= 0)


# ================================================================ (a) NetStim -> synapse
@pytest.mark.parametrize("kind", KINDS)
def test_fixed_step_traces_match_neuron(reference, kind):
    ref = reference(f"events_netstim_{kind}_fixed")
    _, ours = simulate_syn(kind, "fixed")
    assert len(ours["t"]) == len(ref["t"])
    np.testing.assert_allclose(ours["t"], ref["t"], rtol=0, atol=T_GRID)
    np.testing.assert_allclose(ours["v"], ref["v"], rtol=0, atol=V_TOL_FIXED)
    np.testing.assert_allclose(ours["g"], ref["g"], rtol=0, atol=G_TOL_FIXED)


@pytest.mark.parametrize("kind", KINDS)
def test_fixed_step_spike_times_match_neuron(reference, kind):
    ref = reference(f"events_netstim_{kind}_fixed")
    _, ours = simulate_syn(kind, "fixed")
    np.testing.assert_allclose(ours["input_spikes"], ref["input_spikes"], rtol=0, atol=EVENT_TOL)
    from_trace = first_step_above(ours["t"], ours["v"])
    assert len(from_trace) == len(ours["spikes"]) == len(ref["spikes"]) == 5
    np.testing.assert_allclose(from_trace, ref["spikes"], rtol=0, atol=T_GRID)
    np.testing.assert_allclose(ours["spikes"], ref["spikes"], rtol=0, atol=T_GRID)


@pytest.mark.parametrize("kind", KINDS)
def test_cvode_spike_times_match_neuron(reference, kind):
    ref = reference(f"events_netstim_{kind}_cvode")
    _, ours = simulate_syn(kind, "cvode")
    np.testing.assert_allclose(ours["input_spikes"], ref["input_spikes"], rtol=0, atol=EVENT_TOL)
    assert len(ours["spikes"]) == len(ref["spikes"]) == 5
    np.testing.assert_allclose(ours["spikes"], ref["spikes"], rtol=0, atol=SPIKE_TOL_CVODE)
    np.testing.assert_allclose(ours["spikes"], ref["spikes_condition_order2"], rtol=0, atol=SPIKE_TOL_ORDER2)


@pytest.mark.parametrize("kind", KINDS)
def test_cvode_voltage_matches_neuron(reference, kind):
    ref = reference(f"events_netstim_{kind}_cvode")
    sim, ours = simulate_syn(kind, "cvode")
    n = len(ref["t"])
    assert len(ours["t"]) >= n
    np.testing.assert_allclose(ours["t"][:n], ref["t"], rtol=0, atol=T_GRID)
    np.testing.assert_allclose(ours["v"][:n], ref["v"], rtol=0, atol=V_TOL_CVODE)
    steps = sim.cvode.statistics()["steps"]
    assert 0.5 * int(ref["nsteps"]) <= steps <= 2 * int(ref["nsteps"])  # measured 3591 vs 4062


def _cvode_conductance_check(reference, kind):
    ref = reference(f"events_netstim_{kind}_cvode")
    _, ours = simulate_syn(kind, "cvode")
    n = len(ref["t"])
    # A sample whose time equals an arrival time (11 and 91 ms on our exact grid) is taken
    # before the delivery here; NEURON's accumulated grid puts those samples 1e-13 ms
    # after it (30.9999999999993 vs 11.000000000000089), so the ExpSyn jump shows on one
    # side only. Leave out samples within 1e-6 ms of an arrival.
    arrivals = ref["input_spikes"] + IN_DELAY
    keep = np.min(np.abs(ref["t"][:, None] - arrivals[None, :]), axis=1) > 1e-6
    np.testing.assert_allclose(ours["g"][:n][keep], ref["g"][keep], rtol=0, atol=G_TOL_CVODE)


def test_cvode_expsyn_conductance_matches_neuron(reference):
    _cvode_conductance_check(reference, "expsyn")


def test_cvode_exp2syn_conductance_matches_neuron(reference):
    _cvode_conductance_check(reference, "exp2syn")


def test_cvode_interval_samples_of_currents_are_consistent():
    """ExpSyn i = g (v - e) must hold at every recorded sample (as in NEURON)."""
    sim = Simulation()
    soma = sim.Section("soma", L=20.0, diam=20.0)
    soma.insert("pas")
    syn = sim.ExpSyn(soma(0.5), tau=2.0, e=0.0)
    sim.NetCon(sim.NetStim(start=1.0, number=1), syn, 0.0, 0.0, 0.01)
    sim.cvode.active(1)
    sim.cvode.atol(ATOL)
    g, i, v = (sim.record(syn, "g", dt=REC_DT), sim.record(syn, "i", dt=REC_DT),
               sim.record(soma(0.5), "v", dt=REC_DT))
    sim.finitialize(V_INIT)
    sim.continuerun(5.0)
    g, i, v = g.as_numpy(), i.as_numpy(), v.as_numpy()
    # measured: off by up to 0.0104 nA (peak |i| 0.66 nA)
    np.testing.assert_allclose(i, g * (v - 0.0), rtol=0, atol=1e-6)


# ================================================================ (b) IntFire1 network
@pytest.mark.parametrize("method", ["fixed", "cvode"])
def test_intfire1_network_matches_neuron(reference, method):
    ref = reference(f"events_intfire1_net_{method}")
    # a passive dummy section: see the two xfail tests below for why
    ids, t = run_net(method, dummy="pas")
    assert_same_spike_list(ids, t, ref)
    assert len(np.unique(ids)) == 12  # cells 0..11 fire (the network itself is weak)


def test_intfire1_network_same_for_both_methods_in_neuron(reference):
    a, b = reference("events_intfire1_net_fixed"), reference("events_intfire1_net_cvode")
    np.testing.assert_array_equal(a["id"], b["id"])
    np.testing.assert_array_equal(a["t"], b["t"])


@pytest.mark.parametrize("method", ["fixed", "cvode"])
def test_intfire1_network_without_sections(reference, method):
    ids, t = run_net(method, dummy=None)
    assert_same_spike_list(ids, t, reference(f"events_intfire1_net_{method}"))


def test_intfire1_network_cvode_with_a_bare_section(reference):
    ids, t = run_net("cvode", dummy="bare")
    assert_same_spike_list(ids, t, reference("events_intfire1_net_cvode"))


def test_intfire1_network_fixed_step_with_a_bare_section(reference):
    ids, t = run_net("fixed", dummy="bare")
    assert_same_spike_list(ids, t, reference("events_intfire1_net_fixed"))


# ================================================================ NetCon behaviour
def _stim_to_cell(sim, active=True):
    ns = sim.NetStim(start=2.0, interval=3.0, number=4)
    cell = sim.IntFire1(tau=10.0, refrac=0.5)
    nc = sim.NetCon(ns, cell, 0.0, 1.0, 2.0)
    src, out = [], []
    nc.record(src)
    sim.NetCon(cell, None).record(out)
    if not active:
        assert nc.active(0) == 0
    return nc, src, out


@pytest.mark.parametrize("method", ["fixed", "cvode"])
def test_inactive_netcon_delivers_nothing(method):
    sim = Simulation()
    sim.Section("dummy").insert("pas")
    if method == "cvode":
        sim.cvode.active(1)
    on, src_on, out_on = _stim_to_cell(sim)
    off, src_off, out_off = _stim_to_cell(sim, active=False)
    sim.finitialize(V_INIT)
    sim.continuerun(20.0)
    assert on.active() == 1 and off.active() == 0
    np.testing.assert_allclose(out_on, [3.0, 6.0, 9.0, 12.0], rtol=0, atol=EVENT_TOL)
    assert out_off == []  # the target never received an event
    assert src_off == src_on == [2.0, 5.0, 8.0, 11.0]  # the source still fires
    # switched back on: delivers again from the next finitialize
    off.active(1)
    sim.finitialize(V_INIT)
    sim.continuerun(20.0)
    np.testing.assert_allclose(out_off, [3.0, 6.0, 9.0, 12.0], rtol=0, atol=EVENT_TOL)


def test_inactive_netcon_leaves_the_synapse_silent():
    sim = Simulation()
    m = build_syn(sim, "expsyn")
    m["nc_in"].active(0)
    g = sim.record(m["syn"], "g")
    out = []
    m["nc_out"].record(out)
    sim.finitialize(V_INIT)
    sim.continuerun(40.0)
    assert np.all(g.as_numpy() == 0.0) and out == []


@functools.lru_cache(maxsize=None)
def simulate_delay0(with_syn):
    """hh soma + IClamp; NetCon(soma(0.5).v -> IntFire1, delay 0, weight 2) under CVODE
    (the events_delay0_cvode reference), optionally also a delay-0 NetCon to an ExpSyn on
    an unconnected passive section. Every step recorded."""
    sim = Simulation(celsius=6.3)
    soma = sim.Section("soma", L=20.0, diam=20.0, nseg=1, Ra=35.4)
    soma.insert("hh")
    sim.IClamp(soma(0.5), delay=1.0, dur=20.0, amp=0.5)
    cell = sim.IntFire1(tau=10.0, refrac=0.1)
    nc = sim.NetCon(soma(0.5)._ref_v, cell, 0.0, 0.0, 2.0, sec=soma)
    src, fired = [], []
    nc.record(src)
    sim.NetCon(cell, None).record(fired)
    g = None
    if with_syn:
        dend = sim.Section("dend", L=20.0, diam=20.0)  # unconnected: only holds the synapse
        dend.insert("pas")
        syn = sim.ExpSyn(dend(0.5), tau=2.0)
        sim.NetCon(soma(0.5)._ref_v, syn, 0.0, 0.0, DELAY0_W, sec=soma)
        g = sim.record(syn, "g")
    t = sim.record_t()
    v = sim.record(soma(0.5), "v")
    sim.cvode.active(1)
    sim.cvode.atol(ATOL)
    sim.finitialize(V_INIT)
    sim.continuerun(20.0)
    return dict(t=t.as_numpy().copy(), v=v.as_numpy().copy(), src=np.array(src), fired=np.array(fired),
                g=None if g is None else g.as_numpy().copy())


DELAY0_W = 0.01  # uS


def test_cvode_zero_delay_delivers_at_the_interpolated_crossing(reference):
    """The target receives the event at the crossing time interpolated between two
    internal steps, not at a step time (the IntFire1 fires on receipt)."""
    ours = simulate_delay0(False)
    t, v, src, fired = ours["t"], ours["v"], ours["src"], ours["fired"]
    ref = reference("events_delay0_cvode")
    assert len(fired) == len(ref["fired_order2"]) == 2
    for tf in fired:
        assert np.min(np.abs(src - tf)) <= 1e-12  # fired exactly at a crossing time
        # which is not the time of the step before it (v < 0 there), nor of the step that
        # detected the crossing: that step is discarded and the integrator restarts from
        # the crossing (its first tiny step lands ~1e-8 ms after it)
        i = np.searchsorted(t, tf)
        assert tf - t[i - 1] > 1e-6 and v[i - 1] < 0.0
        assert t[i] - tf < 1e-6
    # NEURON's condition_order(2) times (measured max difference 9.2e-6 ms) and its
    # default (end of the crossing step; measured 1.4e-3 ms)
    np.testing.assert_allclose(fired, ref["fired_order2"], rtol=0, atol=SPIKE_TOL_ORDER2)
    np.testing.assert_allclose(fired, ref["fired_order1"], rtol=0, atol=SPIKE_TOL_CVODE)


def test_cvode_zero_delay_one_spike_per_crossing(reference):
    ours = simulate_delay0(False)
    ref = reference("events_delay0_cvode")
    # NEURON: src = [1.8628819, 11.8795072] (order 2); ours: [1.8628763, 1.8628859, 11.8795164]
    assert len(ours["src"]) == len(ref["src_order2"])
    np.testing.assert_allclose(ours["src"], ref["src_order2"], rtol=0, atol=SPIKE_TOL_ORDER2)


def test_cvode_zero_delay_synapse_conductance_starts_at_the_crossing():
    ours = simulate_delay0(True)
    t, g, src = ours["t"], ours["g"], ours["src"]
    # g = w exp(-(t - tc)/tau) from each delivery (crossing) time tc on; a delivery at
    # the step after the crossing instead would be off by > 1e-4 w here
    expected = sum(np.where(t >= tc, DELAY0_W * np.exp(-(t - tc) / 2.0), 0.0) for tc in src)
    after = t > src[0] + 1e-9
    assert after.sum() > 100
    np.testing.assert_allclose(g[after], expected[after], rtol=0, atol=1e-6 * DELAY0_W)


# ================================================================ NetStim noise
def _noisy(seed, noise=0.5, interval=5.0, number=2000):
    sim = Simulation()
    sim.Section("dummy").insert("pas")
    ns = sim.NetStim(start=0.0, interval=interval, number=number, noise=noise)
    ns.seed(seed)
    times = []
    sim.NetCon(ns, None).record(times)
    sim.cvode.active(1)
    sim.finitialize(V_INIT)
    sim.continuerun(4.0 * number * interval)
    return np.array(times)


def test_netstim_noise_is_reproducible_and_has_the_expected_mean():
    a, b, c = _noisy(7), _noisy(7), _noisy(8)
    np.testing.assert_array_equal(a, b)  # same seed: same intervals
    assert not np.array_equal(a, c)
    assert len(a) == 2000
    isi = np.diff(a)
    n = len(isi)
    # intervals are 0.5*5 + 0.5*5*Exp(1): mean 5 ms, sd 2.5 ms, never below 2.5 ms.
    # Mean of n = 1999 intervals: standard error 2.5/sqrt(n) = 0.056 ms; bound 5 SE
    # (false alarm < 1e-6). Sample sd: relative SE sqrt((kurtosis 9 - 1)/(4 n)) = 0.032;
    # bound 5 SE (16 %).
    assert abs(isi.mean() - 5.0) < 5 * 2.5 / np.sqrt(n)
    assert abs(isi.std() / 2.5 - 1.0) < 5 * np.sqrt(8.0 / (4 * n))
    assert isi.min() >= 2.5 - 1e-9
    # the first event: start + noise*interval*Exp(1) >= start
    assert a[0] >= 0.0


def test_netstim_noise_zero_is_regular():
    a = _noisy(3, noise=0.0, number=50)
    np.testing.assert_allclose(a, 5.0 * np.arange(50), rtol=0, atol=EVENT_TOL)


# ================================================================ bad input
def test_netcon_to_a_target_without_net_receive_raises():
    sim = Simulation()
    soma = sim.Section("soma")
    clamp = sim.IClamp(soma(0.5), delay=1.0, dur=1.0, amp=0.1)
    with pytest.raises(CableError, match="NET_RECEIVE"):
        sim.NetCon(sim.NetStim(), clamp, 0.0, 1.0, 0.1)


@pytest.mark.parametrize("delay", [-1.0, -1e-12, float("nan"), float("inf")])
def test_bad_delay_raises(delay):
    sim = Simulation()
    soma = sim.Section("soma")
    syn = sim.ExpSyn(soma(0.5))
    with pytest.raises(CableError, match="delay"):
        sim.NetCon(sim.NetStim(), syn, 0.0, delay, 0.1)
    nc = sim.NetCon(sim.NetStim(), syn, 0.0, 1.0, 0.1)
    with pytest.raises(CableError, match="delay"):
        nc.delay = delay
    assert nc.delay == 1.0
