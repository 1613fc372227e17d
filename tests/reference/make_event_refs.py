"""Generate NEURON reference data for network events (NetStim, NetCon, ExpSyn,
Exp2Syn, IntFire1).

Run from the repository root with the NEURON oracle venv (NEURON 9.0.2)::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python tests/reference/make_event_refs.py

(a few seconds).  NEURON is only the oracle; the project itself never imports
it.  Only built-in mechanisms are used (no nrnivmodl).  Every simulation runs
in its own child process (``... make_event_refs.py --job NAME OUT.npz``); the
parent writes ``np.savez_compressed`` files into ``tests/reference/data/``.
Each file has a ``meta`` entry: a JSON string with the NEURON version, every
model parameter, method / dt / atol, the recording and a description (shape,
units, meaning) of every array.  Units: t ms, v mV, g uS.

Files written
-------------
events_netstim_expsyn_fixed.npz / events_netstim_expsyn_cvode.npz
    hh soma (nseg 1, L = diam = 20 um) with an ExpSyn (tau 2 ms, e 0 mV) at
    soma(0.5) driven by a regular NetStim (start 10, interval 20, number 5)
    through a NetCon (delay 1 ms, weight 0.02 uS); a NetCon on soma(0.5).v
    (threshold 0 mV) records the output spikes.  120 ms; fixed step
    dt = 0.025 (every step recorded) and CVODE atol 1e-6 (Vector.record(ref,
    0.025); spike times and step count from a separate identical run).
events_netstim_exp2syn_fixed.npz / events_netstim_exp2syn_cvode.npz
    the same with an Exp2Syn (tau1 0.5, tau2 5 ms, e 0 mV) and weight 0.01 uS.
events_intfire1_net_fixed.npz / events_intfire1_net_cvode.npz
    100 IntFire1 cells (tau 10, refrac 5), cell i -> (i+1)%100, (i+7)%100,
    (i+31)%100, weight 0.4, delay 1 + 0.5*(i % 5) ms; a NetStim (start 1,
    interval 10, number 20) drives cells 0..9 (weight 1.1, delay 0.5 ms).
    No sections at all (NEURON runs both methods without one).  All spikes
    to 300 ms as (id, t), sorted by time then id.
events_delay0_cvode.npz
    hh soma (L = diam = 20 um) with IClamp(0.5) delay 1, dur 20, amp 0.5 nA; a
    NetCon from soma(0.5).v (threshold 0, delay 0, weight 2) to an IntFire1
    (tau 10, refrac 0.1); CVODE atol 1e-6 to 20 ms with condition_order 1 and 2:
    source crossing times and IntFire1 output times (one per crossing).

CVODE crossing times: NEURON's default (condition_order 1) reports a threshold
crossing at the end of the first internal step with v > threshold (checked
exactly against the every-step trace); with h.cvode.condition_order(2) it
interpolates linearly between the two steps around the crossing.  The netstim
CVODE files carry both.
"""

import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data")
MAX_BYTES = 1_000_000

# ----------------------------------------------------------------------------
# model parameters (recorded verbatim in meta)
# ----------------------------------------------------------------------------
DT = 0.025
ATOL = 1e-6
REC_DT = 0.025

SOMA = dict(L=20.0, diam=20.0, nseg=1, cm=1.0, Ra=35.4,
            mechanisms="hh (defaults: gnabar 0.12, gkbar 0.036, gl 0.0003, el -54.3, "
                       "usetable 1)")
NETSTIM_A = dict(start=10.0, interval=20.0, number=5, noise=0.0)
SYN_MODELS = {
    "expsyn": dict(
        synapse=dict(type="ExpSyn", loc="soma(0.5)", tau=2.0, e=0.0),
        netcon_in=dict(source="NetStim", target="synapse", threshold=0.0, delay=1.0,
                       weight=0.02)),
    "exp2syn": dict(
        synapse=dict(type="Exp2Syn", loc="soma(0.5)", tau1=0.5, tau2=5.0, e=0.0),
        netcon_in=dict(source="NetStim", target="synapse", threshold=0.0, delay=1.0,
                       weight=0.01)),
}
COMMON_A = dict(celsius=6.3, v_init=-65.0, tstop_ms=120.0, soma=SOMA, netstim=NETSTIM_A,
                netcon_out="NetCon(soma(0.5)._ref_v, None, sec=soma), threshold 0 mV, "
                           "records the output spike times")

NET = dict(
    n_cells=100,
    cell=dict(type="IntFire1", tau=10.0, refrac=5.0),
    connections="cell i -> cells (i+1)%100, (i+7)%100, (i+31)%100 (NetCons created in "
                "this order for i = 0..99), weight 0.4, delay 1 + 0.5*(i % 5) ms",
    conn_offsets=[1, 7, 31],
    conn_weight=0.4,
    conn_delay="1 + 0.5*(i % 5)",
    netstim=dict(start=1.0, interval=10.0, number=20, noise=0.0),
    stim_targets="cells 0..9 (NetCons created after all cell-to-cell NetCons)",
    stim_weight=1.1,
    stim_delay=0.5,
    recording="NetCon(cell_i, None).record(tvec, idvec, i) for i = 0..99",
    tstop_ms=300.0,
    v_init=-65.0,
    sections="none (NEURON 9.0.2 runs the fixed step and CVODE without any section)",
)

DELAY0 = dict(
    celsius=6.3,
    v_init=-65.0,
    tstop_ms=20.0,
    soma=dict(L=20.0, diam=20.0, nseg=1, cm=1.0, Ra=35.4, mechanisms="hh (defaults)"),
    iclamp=dict(loc="soma(0.5)", delay=1.0, dur=20.0, amp=0.5),
    cell=dict(type="IntFire1", tau=10.0, refrac=0.1),
    netcon=dict(source="soma(0.5)._ref_v", target="the IntFire1", threshold=0.0, delay=0.0,
                weight=2.0),
    recording="nc.record(src) (source crossings) and NetCon(cell, None).record(fired)",
)


# ----------------------------------------------------------------------------
# NEURON helpers (child only)
# ----------------------------------------------------------------------------
def _neuron():
    import neuron
    from neuron import h
    h.load_file("stdrun.hoc")
    return neuron, h


def _set_method(h, method):
    h.secondorder = 0
    if method == "cvode":
        h.cvode.active(1)
        h.cvode.atol(ATOL)
        h.cvode.rtol(0.0)
    else:
        h.cvode.active(0)
        h.dt = DT
        h.steps_per_ms = 1.0 / DT


def _build_syn(h, kind):
    p = SYN_MODELS[kind]
    h.celsius = COMMON_A["celsius"]
    soma = h.Section(name="soma")
    soma.nseg, soma.L, soma.diam, soma.cm, soma.Ra = (SOMA["nseg"], SOMA["L"], SOMA["diam"],
                                                      SOMA["cm"], SOMA["Ra"])
    soma.insert("hh")
    s = p["synapse"]
    if s["type"] == "ExpSyn":
        syn = h.ExpSyn(soma(0.5))
        syn.tau, syn.e = s["tau"], s["e"]
    else:
        syn = h.Exp2Syn(soma(0.5))
        syn.tau1, syn.tau2, syn.e = s["tau1"], s["tau2"], s["e"]
    ns = h.NetStim()
    q = NETSTIM_A
    ns.start, ns.interval, ns.number, ns.noise = q["start"], q["interval"], q["number"], q["noise"]
    c = p["netcon_in"]
    nc_in = h.NetCon(ns, syn)
    nc_in.threshold, nc_in.delay, nc_in.weight[0] = c["threshold"], c["delay"], c["weight"]
    return dict(soma=soma, syn=syn, ns=ns, nc_in=nc_in)


def _spike_recorders(h, m):
    t_in, t_out = h.Vector(), h.Vector()
    m["nc_in"].record(t_in)
    nc_out = h.NetCon(m["soma"](0.5)._ref_v, None, sec=m["soma"])
    nc_out.threshold = 0.0
    nc_out.record(t_out)
    return nc_out, t_in, t_out


def job_syn(kind, method):
    neuron, h = _neuron()
    m = _build_syn(h, kind)
    _set_method(h, method)
    tstop = COMMON_A["tstop_ms"]
    refs = dict(t=h._ref_t, v=m["soma"](0.5)._ref_v, g=m["syn"]._ref_g)
    vecs = {k: h.Vector() for k in refs}
    for k, r in refs.items():
        if method == "cvode":
            vecs[k].record(r, REC_DT)
        else:
            vecs[k].record(r)
    nc_out, t_in, t_out = _spike_recorders(h, m)
    h.finitialize(COMMON_A["v_init"])
    h.continuerun(tstop)
    out = {}
    flushed = 0
    if method == "cvode":
        nsamp = int(round(tstop / REC_DT)) + 1
        if len(vecs["t"]) == nsamp - 1:
            # the record event at t = tstop is delivered on the next fadvance
            end_v, end_t = m["soma"](0.5).v, h.t
            assert abs(end_t - tstop) < 1e-9, end_t
            h.fadvance()
            flushed = 1
        assert len(vecs["t"]) >= nsamp, (len(vecs["t"]), nsamp)
        arr = {k: v.as_numpy()[:nsamp].copy() for k, v in vecs.items()}
        assert np.allclose(arr["t"], np.arange(nsamp) * REC_DT, rtol=0, atol=1e-9)
        if flushed:
            assert abs(arr["v"][-1] - end_v) < 1e-9 * max(1.0, abs(end_v))
        out.update(arr)
        out["input_spikes_interval_run"] = t_in.as_numpy().copy()
        out["spikes_interval_run"] = t_out.as_numpy().copy()
        out["cvode_record_flushed"] = np.array(flushed)
    else:
        nsamp = int(round(tstop / DT)) + 1
        arr = {k: v.as_numpy().copy() for k, v in vecs.items()}
        assert len(arr["t"]) == nsamp, (len(arr["t"]), nsamp)
        out.update(arr)
        out["input_spikes"] = t_in.as_numpy().copy()
        out["spikes"] = t_out.as_numpy().copy()
    out["tend"] = np.array(h.t)
    del nc_out
    return out, neuron.__version__


def job_syn_steps(kind, condition_order=1):
    """CVODE without interval recording (its own process): every internal step,
    the step count and the spike times (with h.cvode.condition_order(order))."""
    neuron, h = _neuron()
    m = _build_syn(h, kind)
    _set_method(h, "cvode")
    h.cvode.condition_order(condition_order)
    assert int(h.cvode.condition_order()) == condition_order
    tall, vall = h.Vector(), h.Vector()
    tall.record(h._ref_t)
    vall.record(m["soma"](0.5)._ref_v)
    nc_out, t_in, t_out = _spike_recorders(h, m)
    h.finitialize(COMMON_A["v_init"])
    h.continuerun(COMMON_A["tstop_ms"])
    out = dict(nsteps=np.array(len(tall) - 1), t_steps=tall.as_numpy().copy(),
               v_steps=vall.as_numpy().copy(), input_spikes=t_in.as_numpy().copy(),
               spikes=t_out.as_numpy().copy(), tend_steps_run=np.array(h.t))
    del nc_out
    return out, neuron.__version__


def job_net(method):
    neuron, h = _neuron()
    n = NET["n_cells"]
    cells = []
    for _ in range(n):
        c = h.IntFire1()
        c.tau, c.refrac = NET["cell"]["tau"], NET["cell"]["refrac"]
        cells.append(c)
    ncs = []
    for i in range(n):
        for off in NET["conn_offsets"]:
            nc = h.NetCon(cells[i], cells[(i + off) % n])
            nc.weight[0] = NET["conn_weight"]
            nc.delay = 1.0 + 0.5 * (i % 5)
            ncs.append(nc)
    ns = h.NetStim()
    q = NET["netstim"]
    ns.start, ns.interval, ns.number, ns.noise = q["start"], q["interval"], q["number"], q["noise"]
    for i in range(10):
        nc = h.NetCon(ns, cells[i])
        nc.weight[0] = NET["stim_weight"]
        nc.delay = NET["stim_delay"]
        ncs.append(nc)
    tvec, idvec = h.Vector(), h.Vector()
    recs = []
    for i, c in enumerate(cells):
        nc = h.NetCon(c, None)
        nc.record(tvec, idvec, i)
        recs.append(nc)
    _set_method(h, method)
    nsec = sum(1 for _ in h.allsec())
    assert nsec == 0, nsec
    h.finitialize(NET["v_init"])
    h.continuerun(NET["tstop_ms"])
    t = tvec.as_numpy().copy()
    ids = idvec.as_numpy().astype(np.int64)
    keep = t <= NET["tstop_ms"]
    order = np.lexsort((ids[keep], t[keep]))
    out = dict(t=t[keep][order], id=ids[keep][order], n_after_tstop=np.array(int((~keep).sum())),
               tend=np.array(h.t))
    return out, neuron.__version__


def job_delay0(condition_order):
    """A delay-0 NetCon from soma(0.5).v to an IntFire1 under CVODE."""
    neuron, h = _neuron()
    p = DELAY0
    h.celsius = p["celsius"]
    soma = h.Section(name="soma")
    q = p["soma"]
    soma.nseg, soma.L, soma.diam, soma.cm, soma.Ra = q["nseg"], q["L"], q["diam"], q["cm"], q["Ra"]
    soma.insert("hh")
    ic = h.IClamp(soma(0.5))
    ic.delay, ic.dur, ic.amp = p["iclamp"]["delay"], p["iclamp"]["dur"], p["iclamp"]["amp"]
    cell = h.IntFire1()
    cell.tau, cell.refrac = p["cell"]["tau"], p["cell"]["refrac"]
    nc = h.NetCon(soma(0.5)._ref_v, cell, sec=soma)
    c = p["netcon"]
    nc.threshold, nc.delay, nc.weight[0] = c["threshold"], c["delay"], c["weight"]
    src, fired = h.Vector(), h.Vector()
    nc.record(src)
    nc_out = h.NetCon(cell, None)
    nc_out.record(fired)
    _set_method(h, "cvode")
    h.cvode.condition_order(condition_order)
    h.finitialize(p["v_init"])
    h.continuerun(p["tstop_ms"])
    out = dict(src=src.as_numpy().copy(), fired=fired.as_numpy().copy())
    del nc, nc_out
    return out, neuron.__version__


JOBS = {
    "delay0_order1": lambda: job_delay0(1),
    "delay0_order2": lambda: job_delay0(2),
    "expsyn_fixed": lambda: job_syn("expsyn", "fixed"),
    "expsyn_cvode": lambda: job_syn("expsyn", "cvode"),
    "expsyn_cvode_steps": lambda: job_syn_steps("expsyn"),
    "expsyn_cvode_order2": lambda: job_syn_steps("expsyn", 2),
    "exp2syn_fixed": lambda: job_syn("exp2syn", "fixed"),
    "exp2syn_cvode": lambda: job_syn("exp2syn", "cvode"),
    "exp2syn_cvode_steps": lambda: job_syn_steps("exp2syn"),
    "exp2syn_cvode_order2": lambda: job_syn_steps("exp2syn", 2),
    "net_fixed": lambda: job_net("fixed"),
    "net_cvode": lambda: job_net("cvode"),
}


def run_child(name):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "out.npz")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--job", name, path],
                       check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, NEURON_MODULE_OPTIONS="-nogui"))
        with np.load(path) as z:
            arrs = {k: z[k] for k in z.files}
    ver = str(arrs.pop("_neuron_version"))
    return arrs, ver


# ----------------------------------------------------------------------------
# parent: files
# ----------------------------------------------------------------------------
def save(fname, arrays, meta):
    path = os.path.join(OUT, fname)
    np.savez_compressed(path, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    size = os.path.getsize(path)
    assert size < MAX_BYTES, (fname, size)
    print(f"wrote {path} ({size} bytes)")
    return size


def _method_meta(method):
    if method == "cvode":
        return dict(method="CVODE h.cvode.active(1)", atol=ATOL, rtol=0.0, secondorder=0,
                    recording=f"Vector.record(ref, {REC_DT}) (CVODE-interpolated samples) from "
                              "h.finitialize(v_init) to h.continuerun(tstop); input/output spike "
                              "times, the step count and the every-step trace from a separate "
                              "identical run without interval recording")
    return dict(method="fixed step (cvode off, secondorder=0)", dt=DT, steps_per_ms=1.0 / DT,
                secondorder=0,
                recording="Vector.record(ref) every step from h.finitialize(v_init) to "
                          "h.continuerun(tstop)")


def _interp_crossings(t, v, threshold=0.0):
    i = np.flatnonzero((v[:-1] <= threshold) & (v[1:] > threshold))
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


def make_syn(kind, method):
    r, ver = run_child(f"{kind}_{method}")
    checks = {}
    if method == "cvode":
        s, ver2 = run_child(f"{kind}_cvode_steps")
        assert ver2 == ver
        r.update(s)
        o2, ver3 = run_child(f"{kind}_cvode_order2")
        assert ver3 == ver
        r["spikes_condition_order2"] = o2["spikes"]
        r["nsteps_condition_order2"] = o2["nsteps"]
        assert np.array_equal(o2["input_spikes"], r["input_spikes"])
        t, v = r["t_steps"], r["v_steps"]
        first_above = t[np.flatnonzero((v[:-1] <= 0.0) & (v[1:] > 0.0)) + 1]
        cross = _interp_crossings(t, v)
        cross2 = _interp_crossings(o2["t_steps"], o2["v_steps"])
        assert len(cross) == len(first_above) == len(r["spikes"]) == len(o2["spikes"])
        checks = dict(
            max_abs_spikes_minus_first_step_above_threshold_ms=float(
                np.abs(first_above - r["spikes"]).max()),
            max_abs_spikes_minus_linear_interp_of_steps_ms=float(
                np.abs(cross - r["spikes"]).max()),
            max_abs_order2_spikes_minus_linear_interp_of_its_steps_ms=float(
                np.abs(cross2 - o2["spikes"]).max()),
            max_abs_spikes_minus_order2_spikes_ms=float(
                np.abs(r["spikes"] - o2["spikes"]).max()),
            max_abs_spikes_minus_spikes_interval_run_ms=float(
                np.abs(r["spikes"] - r["spikes_interval_run"]).max()),
            input_spikes_equal_in_both_runs=bool(
                np.array_equal(r["input_spikes"], r["input_spikes_interval_run"])))
    tstop = COMMON_A["tstop_ms"]
    n = len(r["t"])
    arrays = {
        "t": f"({n},) sample times [ms] (fixed: every step; CVODE: 0, 0.025, ..., {tstop})",
        "v": f"({n},) soma(0.5).v [mV]",
        "g": f"({n},) synapse conductance syn.g [uS]",
        "input_spikes": "(5,) NetStim firing times [ms] from nc_in.record(vec) (the source's "
                        "spike times; each arrives at the synapse delay = 1 ms later)",
        "spikes": "(S,) output spike times [ms], NetCon(soma(0.5)._ref_v) threshold 0: fixed "
                  "step = the first step time with v > 0; CVODE (default condition_order 1, "
                  "separate run) = also the time of the first internal step with v > 0 "
                  "(checked exactly against t_steps / v_steps; no interpolation)",
        "tend": "() h.t after h.continuerun(tstop) [ms]",
    }
    if method == "cvode":
        arrays.update({
            "input_spikes_interval_run / spikes_interval_run": "(5,) / (S,) the same from the "
                                                               "run with Vector.record(ref, Dt)",
            "nsteps": f"() internal CVODE steps to {tstop} ms (separate run in its own "
                      "process: len(t every step) - 1)",
            "t_steps / v_steps": "(nsteps+1,) t [ms] and soma(0.5).v [mV] at every internal "
                                 "step (separate run); NEURON records the every-step vectors at "
                                 "the start of each fadvance, so the state after the last step "
                                 "(t = tend_steps_run) is missing",
            "spikes_condition_order2": "(S,) CVODE output spike times [ms] with "
                                       "h.cvode.condition_order(2) (a third run, own "
                                       "process): linear interpolation between the two "
                                       "internal steps around the crossing (checked)",
            "nsteps_condition_order2": "() steps of that run (same counting as nsteps)",
            "tend_steps_run": "() h.t after h.continuerun(tstop) in the separate run [ms] "
                              "(CVODE without a record event at tstop may step past it)",
            "cvode_record_flushed": "() 1 if one extra h.fadvance() delivered the record at "
                                    "t = tstop (checked equal to the state at tstop)",
        })
    params = dict(COMMON_A, **SYN_MODELS[kind])
    meta = dict(model=f"events_netstim_{kind}", neuron_version=ver, params=params,
                dtype="float64 except ints", arrays=arrays,
                n_samples=n, n_output_spikes=int(len(r["spikes"])), checks=checks,
                **_method_meta(method))
    if method == "cvode":
        meta["nsteps"] = int(r["nsteps"])
    r["size_bytes"] = save(f"events_netstim_{kind}_{method}.npz", r, meta)
    return r


def make_net(method):
    r, ver = run_child(f"net_{method}")
    n = len(r["t"])
    meta = dict(model="events_intfire1_net", neuron_version=ver, params=NET,
                dtype="float64 (t), int64 (id, n_after_tstop)",
                n_spikes=n, n_cells_firing=int(len(np.unique(r["id"]))),
                arrays={"id": f"({n},) cell index 0..99 of each spike",
                        "t": f"({n},) spike time [ms]; (t, id) sorted by t then id",
                        "n_after_tstop": "() spikes recorded after tstop and dropped (0)",
                        "tend": "() h.t after h.continuerun(300) [ms]"},
                cvode_note=("with no sections (no states) NEURON 9.0.2's CVODE ends "
                            "h.continuerun(300) at h.t = 1e9 (it processes every pending event); "
                            "spikes after 300 ms are dropped (n_after_tstop)"
                            if method == "cvode" else None),
                **_method_meta(method))
    meta["recording"] = NET["recording"]
    r["size_bytes"] = save(f"events_intfire1_net_{method}.npz", r, meta)
    return r


def make_delay0():
    r1, ver = run_child("delay0_order1")
    r2, ver2 = run_child("delay0_order2")
    assert ver == ver2
    for r in (r1, r2):
        assert np.array_equal(r["src"], r["fired"]), r
    arrays = dict(src_order1=r1["src"], fired_order1=r1["fired"],
                  src_order2=r2["src"], fired_order2=r2["fired"])
    n = len(r2["src"])
    meta = dict(model="events_delay0_cvode", neuron_version=ver, params=DELAY0,
                dtype="float64",
                checks=dict(fired_equals_src_exactly_both_orders=True,
                            one_spike_per_crossing=True),
                arrays={"src_order1 / src_order2": f"({n},) source crossing times [ms] with "
                                                   "h.cvode.condition_order(1) (default: end "
                                                   "of the first step above threshold) / (2) "
                                                   "(linear interpolation); one run each, own "
                                                   "process",
                        "fired_order1 / fired_order2": f"({n},) IntFire1 output times [ms] "
                                                       "(equal to src exactly: the event "
                                                       "arrives at the crossing time)"},
                **_method_meta("cvode"))
    meta["recording"] = DELAY0["recording"] + "; no interval recording"
    save("events_delay0_cvode.npz", arrays, meta)
    return arrays


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--job":
        out, ver = JOBS[sys.argv[2]]()
        np.savez(sys.argv[3], _neuron_version=np.array(ver), **out)
        return
    os.makedirs(OUT, exist_ok=True)
    res = {}
    for kind in SYN_MODELS:
        for method in ("fixed", "cvode"):
            r = make_syn(kind, method)
            res[(kind, method)] = r
            print(f"  {kind} {method}: input {r['input_spikes'].tolist()} output "
                  f"{np.round(r['spikes'], 4).tolist()}"
                  + (f" nsteps {int(r['nsteps'])}" if "nsteps" in r else ""))
        a, b = res[(kind, "fixed")], res[(kind, "cvode")]
        if len(a["spikes"]) == len(b["spikes"]):
            print(f"  {kind}: max |fixed - cvode| output spike time "
                  f"{np.abs(a['spikes'] - b['spikes']).max():.4g} ms")
    d0 = make_delay0()
    print(f"  delay0: src order1 {d0['src_order1'].tolist()} order2 {d0['src_order2'].tolist()}")
    nets = {m: make_net(m) for m in ("fixed", "cvode")}
    a, b = nets["fixed"], nets["cvode"]
    same = len(a["t"]) == len(b["t"]) and np.array_equal(a["id"], b["id"])
    print(f"  intfire1_net: {len(a['t'])} / {len(b['t'])} spikes, "
          f"{len(np.unique(a['id']))} cells fire, ids equal {same}"
          + (f", max |dt| {np.abs(a['t'] - b['t']).max():.3g} ms" if same else ""))


if __name__ == "__main__":
    main()
