"""The cable simulator against NEURON 9.0.2 reference runs.

The references (``tests/reference/data/*.npz``) come from
``tests/reference/make_cable_refs.py``; that script is the only place that imports
NEURON. Here the same models are built with the native API:

* ``hh_soma``: soma L = diam = 10 um, nseg 1, hh, IClamp(0.5) delay 50 dur 200 amp 0.1,
  v_init -65, tstop 300; backward Euler at dt 0.025 and 0.005, Crank-Nicolson at 0.025,
  CVODE at atol 1e-5 (recorded every 0.025 ms);
* ``ball_stick``: hh soma (L = diam = 20, Ra 100) with a passive dendrite (L 500, diam 1,
  nseg 101, Ra 100, g_pas 1e-3, e_pas -65) attached dend(0) -> soma(1), IClamp(0.5)
  amp 0.5 nA; backward Euler at 0.025 and CVODE at atol 1e-5.
"""

import functools

import numpy as np
import pytest

from cable import Simulation

# Fixed step: our scheme is NEURON's staggered fixed step operation for operation (same
# tables, same linear solve, same order of updates), so traces differ only by
# floating-point rounding. Measured max |dv| is <= 8e-10 mV; 1e-6 mV leaves a wide margin
# for libm/BLAS differences yet is ~1e5 x tighter than any modelling or ordering error
# (e.g. a half-step shift of the IClamp onset changes v by > 1 mV).
V_TOL_FIXED = 1e-6  # mV
# Time grids are sums of dt in both programs; round-off differs by ~1e-10 ms at 300 ms.
T_TOL = 1e-9  # ms
# Acceptance criteria of the issue: spike times within 0.01 ms, CVODE traces within
# 0.1 mV (two different variable-step controllers at atol 1e-5; measured 0.03-0.07 mV).
SPIKE_TOL = 0.01  # ms
V_TOL_CVODE = 0.1  # mV

HH_SOMA = dict(L=10.0, diam=10.0, nseg=1, Ra=35.4, amp=0.1)
BALL_STICK_SOMA = dict(L=20.0, diam=20.0, nseg=1, Ra=100.0, amp=0.5)
BALL_STICK_DEND = dict(L=500.0, diam=1.0, nseg=101, Ra=100.0, g_pas=0.001, e_pas=-65.0)
DELAY, DUR, V_INIT, TSTOP = 50.0, 200.0, -65.0, 300.0

RUNS = {
    "hh_soma_be_dt0.025": dict(model="hh_soma", dt=0.025, secondorder=0),
    # saved every 5th sample (every 0.025 ms)
    "hh_soma_be_dt0.005": dict(model="hh_soma", dt=0.005, secondorder=0, subsample=5),
    "hh_soma_cn_dt0.025": dict(model="hh_soma", dt=0.025, secondorder=2),
    "hh_soma_cvode_atol1e-5": dict(model="hh_soma", atol=1e-5),
    "ball_stick_be_dt0.025": dict(model="ball_stick", dt=0.025, secondorder=0),
    "ball_stick_cvode_atol1e-5": dict(model="ball_stick", atol=1e-5),
}
FIXED = [name for name, run in RUNS.items() if "atol" not in run]
CVODE = [name for name, run in RUNS.items() if "atol" in run]
CVODE_RECORD_DT = 0.025  # ms, as the references


def build(model, sim):
    """The reference model in ``sim``; returns the recorded locations by reference key."""
    if model == "hh_soma":
        p = HH_SOMA
        soma = sim.Section("soma", L=p["L"], diam=p["diam"], nseg=p["nseg"], Ra=p["Ra"])
        soma.insert("hh")
        sim.IClamp(soma(0.5), delay=DELAY, dur=DUR, amp=p["amp"])
        return {"v_soma": soma(0.5)}
    p, q = BALL_STICK_SOMA, BALL_STICK_DEND
    soma = sim.Section("soma", L=p["L"], diam=p["diam"], nseg=p["nseg"], Ra=p["Ra"])
    soma.insert("hh")
    dend = sim.Section("dend", L=q["L"], diam=q["diam"], nseg=q["nseg"], Ra=q["Ra"])
    dend.insert("pas")
    for seg in dend:
        seg.pas.g = q["g_pas"]
        seg.pas.e = q["e_pas"]
    dend.connect(soma(1), 0)
    sim.IClamp(soma(0.5), delay=DELAY, dur=DUR, amp=p["amp"])
    return {"v_soma": soma(0.5), "v_dend05": dend(0.5), "v_dend1": dend(1), "v_dend0_seg": dend(0.005)}


@functools.lru_cache(maxsize=None)
def simulate(name):
    """Run reference ``name`` once per session; returns (sim, t, traces), all at the
    reference's sampling (fixed step: every step; the subsampled file: every 5th),
    plus the unsubsampled t and v_soma under keys "t_full" and "v_full"."""
    run = RUNS[name]
    sim = Simulation()
    locations = build(run["model"], sim)
    if "atol" in run:
        sim.cvode.active(1)
        sim.cvode.atol(run["atol"])
        rec_dt = CVODE_RECORD_DT
    else:
        sim.dt = run["dt"]
        sim.secondorder = run["secondorder"]
        rec_dt = None
    vecs = {k: sim.record(seg, "v", dt=rec_dt) for k, seg in locations.items()}
    tvec = sim.record_t(dt=rec_dt)
    sim.finitialize(V_INIT)
    sim.continuerun(TSTOP)
    sub = run.get("subsample", 1)
    t_full = tvec.as_numpy().copy()
    traces = {k: v.as_numpy().copy() for k, v in vecs.items()}
    out = {"t": t_full[::sub], "t_full": t_full, "v_full": traces["v_soma"]}
    out.update({k: v[::sub] for k, v in traces.items()})
    return sim, out


def netcon_style_times(t, v, threshold=0.0):
    """NEURON's fixed-step NetCon times: the first step time t_n with v(t_n) >= threshold."""
    i = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold)) + 1
    return t[i]


# ------------------------------------------------------------------ the references
@pytest.mark.parametrize("name", list(RUNS))
def test_reference_describes_the_model_built_here(reference, name):
    ref, run = reference(name), RUNS[name]
    meta = ref["meta"]
    assert meta["neuron_version"] == "9.0.2"
    p = meta["params"]
    assert (p["v_init"], p["tstop"], p["celsius"]) == (V_INIT, TSTOP, 6.3)
    assert (p["iclamp"]["loc"], p["iclamp"]["delay"], p["iclamp"]["dur"]) == ("soma(0.5)", DELAY, DUR)
    soma = HH_SOMA if run["model"] == "hh_soma" else BALL_STICK_SOMA
    assert p["iclamp"]["amp"] == soma["amp"]
    assert {k: p["soma"][k] for k in ("L", "diam", "nseg", "Ra", "cm")} == {
        "L": soma["L"], "diam": soma["diam"], "nseg": soma["nseg"], "Ra": soma["Ra"], "cm": 1.0
    }
    if run["model"] == "ball_stick":
        assert {k: p["dend"][k] for k in BALL_STICK_DEND} == BALL_STICK_DEND
        assert p["dend"]["connect"] == "dend(0) -> soma(1)"
    if "atol" in run:
        assert (meta["atol"], meta["rtol"], meta["record_interval_ms"]) == (run["atol"], 0.0, CVODE_RECORD_DT)
    else:
        assert (meta["dt"], meta["secondorder"]) == (run["dt"], run["secondorder"])
        # 0.005 * 5 in floating point: round-off only
        assert meta["record_interval_ms"] == pytest.approx(run["dt"] * run.get("subsample", 1), rel=1e-12)


def test_spike_helper_interpolates_linearly(spike_times):
    t = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    v = np.array([-10.0, 10.0, 30.0, -5.0, 0.0, 20.0])
    # -10 -> 10 crosses at 0.5; 30 -> -5 is downward; -5 -> 0 reaches 0 at t = 4 exactly
    # (exact binary fractions: 1e-15 is round-off only)
    np.testing.assert_allclose(spike_times(t, v), [0.5, 4.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(spike_times(t, v, threshold=20.0), [1.5, 5.0], rtol=0, atol=1e-15)
    assert len(spike_times(t, np.full(6, -1.0))) == 0


# ------------------------------------------------------------------- fixed step
@pytest.mark.parametrize("name", FIXED)
def test_fixed_step_traces_match_neuron(reference, name):
    ref = reference(name)
    sim, ours = simulate(name)
    assert sim.t == pytest.approx(TSTOP, abs=T_TOL)
    assert len(ours["t"]) == len(ref["t"]) == ref["meta"]["n_samples"]
    np.testing.assert_allclose(ours["t"], ref["t"], rtol=0, atol=T_TOL)
    keys = [k for k in ref if k.startswith("v_")]
    assert set(keys) == {k for k in ours if k.startswith("v_") and k != "v_full"}
    for key in keys:
        np.testing.assert_allclose(ours[key], ref[key], rtol=0, atol=V_TOL_FIXED, err_msg=key)


@pytest.mark.parametrize("name", FIXED)
def test_fixed_step_spike_times_match_neuron(reference, spike_times, name):
    ref = reference(name)
    _, ours = simulate(name)
    # the same interpolation on both recorded traces (the dt = 0.005 file holds every
    # 5th sample, so ours is subsampled the same way before interpolating)
    ours_spk = spike_times(ours["t"], ours["v_soma"])
    nrn_spk = spike_times(ref["t"], ref["v_soma"])
    assert len(ours_spk) == len(nrn_spk) == len(ref["spikes"]) >= 10
    np.testing.assert_allclose(ours_spk, nrn_spk, rtol=0, atol=SPIKE_TOL)
    # NEURON's NetCon in fixed step reports the first step time with v >= 0 (no
    # interpolation): on our full-rate trace that is the same grid time, equal up to
    # the round-off of the accumulated t.
    np.testing.assert_allclose(netcon_style_times(ours["t_full"], ours["v_full"]), ref["spikes"], rtol=0, atol=T_TOL)


def test_second_order_differs_from_first_order(reference):
    # guards the comparisons above against a run that ignores secondorder: BE and CN
    # references differ by far more than the tolerance
    be, cn = reference("hh_soma_be_dt0.025"), reference("hh_soma_cn_dt0.025")
    assert np.max(np.abs(be["v_soma"] - cn["v_soma"])) > 1.0
    _, ours_cn = simulate("hh_soma_cn_dt0.025")
    assert np.max(np.abs(ours_cn["v_soma"] - be["v_soma"])) > 1.0


# ------------------------------------------------------------------------ CVODE
@pytest.mark.parametrize("name", CVODE)
def test_cvode_traces_match_neuron(reference, name):
    ref = reference(name)
    sim, ours = simulate(name)
    assert sim.t == pytest.approx(TSTOP, abs=T_TOL)
    n = len(ref["t"])
    # NEURON's interval recording stops at the last grid point < tstop (round-off, see
    # meta t_note); ours also has the sample at t = tstop.
    assert len(ours["t"]) in (n, n + 1)
    np.testing.assert_allclose(ours["t"][:n], ref["t"], rtol=0, atol=T_TOL)
    np.testing.assert_allclose(ours["t"], CVODE_RECORD_DT * np.arange(len(ours["t"])), rtol=0, atol=T_TOL)
    for key in [k for k in ref if k.startswith("v_")]:
        np.testing.assert_allclose(ours[key][:n], ref[key], rtol=0, atol=V_TOL_CVODE, err_msg=key)


@pytest.mark.parametrize("name", CVODE)
def test_cvode_spike_times_match_neuron_trace(reference, spike_times, name):
    ref = reference(name)
    _, ours = simulate(name)
    n = len(ref["t"])
    ours_spk = spike_times(ours["t"][:n], ours["v_soma"][:n])
    nrn_spk = spike_times(ref["t"], ref["v_soma"])
    assert len(ours_spk) == len(nrn_spk) == len(ref["spikes"]) >= 10
    # same 0.025 ms sampling grid and same interpolation on both sides (measured max
    # difference 3e-4 to 5e-4 ms)
    np.testing.assert_allclose(ours_spk, nrn_spk, rtol=0, atol=SPIKE_TOL)


@pytest.mark.parametrize("name", CVODE)
def test_cvode_spike_times_match_neuron_netcon(reference, spike_times, name):
    ref = reference(name)
    _, ours = simulate(name)
    ours_spk = spike_times(ours["t"], ours["v_soma"])
    assert len(ours_spk) == len(ref["spikes"])
    # NEURON's saved CVODE spike times are not exact crossings: with its default
    # cvode.condition_order(1) a NetCon reports the end of the first internal step at or
    # above threshold (measured in tests/reference/make_event_refs.py), and internal
    # steps are up to ~0.05 ms apart on the upstroke; we interpolate linearly on the
    # 0.025 ms record grid (NEURON's own 0.025 ms trace gives crossings 0.012 ms
    # (hh_soma) and 0.019 ms (ball_stick) away from its NetCon times), so here the bound
    # is one record interval; the 0.01 ms criterion is checked grid-to-grid above.
    np.testing.assert_allclose(ours_spk, ref["spikes"], rtol=0, atol=CVODE_RECORD_DT)


@pytest.mark.parametrize("name", CVODE)
def test_cvode_statistics_count_steps(reference, name):
    sim, _ = simulate(name)
    steps = sim.cvode.statistics()["steps"]
    neuron_steps = int(reference(name)["nsteps"])
    # Counted with interval recording only (the counter once missed these runs).
    # Two different step controllers: the counts agree only roughly (measured 7001 vs
    # NEURON's 7366 and 5982 vs 6231); a factor of 2 tells a working counter from a
    # broken one.
    assert 0.5 * neuron_steps <= steps <= 2 * neuron_steps


def test_cvode_every_step_recording_has_no_repeated_steps():
    # Regression: after an interpolated output inside the last step, SUNDIALS' next
    # CV_ONE_STEP call reports that step again; it must not be recorded twice.
    sim = Simulation()
    build("hh_soma", sim)
    sim.cvode.active(1)
    sim.cvode.atol(1e-5)
    t_every = sim.record_t()
    sim.record_t(dt=CVODE_RECORD_DT)  # an interval recording alongside
    sim.finitialize(V_INIT)
    sim.continuerun(5.0)
    t = t_every.as_numpy()
    assert t[-1] == pytest.approx(5.0, abs=T_TOL)
    assert np.all(np.diff(t) > 0), f"{np.sum(np.diff(t) <= 0)} repeated times in the per-step recording"
    assert sim.cvode.statistics()["steps"] == len(t) - 1


def test_cvode_recording_does_not_change_the_trajectory():
    # record times are served by interpolation inside CVODE's steps, without a restart:
    # a second, finer recording leaves the 0.025 ms samples unchanged (round-off only)
    def samples(extra_dt):
        sim = Simulation()
        soma = build("hh_soma", sim)["v_soma"]
        sim.cvode.active(1)
        sim.cvode.atol(1e-5)
        v = sim.record(soma, "v", dt=CVODE_RECORD_DT)
        if extra_dt is not None:
            sim.record(soma, "v", dt=extra_dt)
        sim.finitialize(V_INIT)
        sim.continuerun(60.0)
        return v.as_numpy().copy()

    alone, with_fine = samples(None), samples(0.01)
    assert alone.max() > 0  # the window includes a spike
    np.testing.assert_allclose(with_fine, alone, rtol=0, atol=1e-9)
