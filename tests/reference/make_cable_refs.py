"""Generate NEURON reference traces for the cable-simulator tests.

Run from the repository root with the NEURON oracle venv (NEURON 9.0.2,
created by ``make neuron-venv``)::

    .venv-neuron/bin/python tests/reference/make_cable_refs.py

This script is the ONLY place that imports NEURON; the project itself never
does.  It writes small ``np.savez_compressed`` files into
``tests/reference/data/``.  Every file carries a ``meta`` entry: a JSON string
with the NEURON version, model parameters, integration method / dt /
tolerance, and recording interval.

Files written
-------------
hh_soma_be_dt0.025.npz, hh_soma_be_dt0.005.npz, hh_soma_cn_dt0.025.npz,
hh_soma_cvode_atol1e-5.npz
    single-compartment HH soma; arrays ``t``, ``v_soma``, ``spikes``
    (+ ``nsteps`` for CVODE).
ball_stick_be_dt0.025.npz, ball_stick_cvode_atol1e-5.npz
    HH soma + passive dendrite; additionally ``v_dend05``, ``v_dend1``,
    ``v_dend0_seg`` (dend(0.5), dend(1), dend(0.005)).
ion_defaults.npz
    ion concentrations / reversal potentials after finitialize at 6.3 and
    37 degC (suffixes ``_6p3`` and ``_37``), plus ``FARADAY`` and ``R``.
passive_order.npz
    final (t = 20 ms) voltages of a passive cable for several dt, backward
    Euler (secondorder=0) vs Crank-Nicolson (secondorder=2).
"""

import json
import os
import sys

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

import numpy as np  # noqa: E402
import neuron  # noqa: E402
from neuron import h  # noqa: E402

h.load_file("stdrun.hoc")

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
NRN_VERSION = neuron.__version__
V_INIT = -65.0

HH_SOMA = dict(
    soma=dict(nseg=1, diam=10.0, L=10.0, Ra=35.4, cm=1.0, mechanisms=["hh (defaults, usetable=1)"]),
    iclamp=dict(loc="soma(0.5)", delay=50.0, dur=200.0, amp=0.1),
    v_init=V_INIT,
    tstop=300.0,
    celsius=6.3,
    spike_detector=dict(loc="soma(0.5)", threshold=0.0),
)

BALL_STICK_AMP = 0.5  # 0.1 nA gives a single spike only in this model
BALL_STICK = dict(
    soma=dict(nseg=1, diam=20.0, L=20.0, Ra=100.0, cm=1.0, mechanisms=["hh (defaults, usetable=1)"]),
    dend=dict(nseg=101, diam=1.0, L=500.0, Ra=100.0, cm=1.0,
              mechanisms=["pas"], g_pas=0.001, e_pas=-65.0,
              connect="dend(0) -> soma(1)"),
    iclamp=dict(loc="soma(0.5)", delay=50.0, dur=200.0, amp=BALL_STICK_AMP,
                note="amp=0.1 nA produced only 1 spike; 0.5 nA used for repetitive firing"),
    v_init=V_INIT,
    tstop=300.0,
    celsius=6.3,
    spike_detector=dict(loc="soma(0.5)", threshold=0.0),
    recorded=dict(v_soma="soma(0.5).v", v_dend05="dend(0.5).v",
                  v_dend1="dend(1).v", v_dend0_seg="dend(0.005).v"),
)

PASSIVE = dict(
    sec=dict(nseg=51, diam=2.0, L=1000.0, Ra=100.0, cm=1.0, mechanisms=["pas"],
             g_pas=1e-4, e_pas=-65.0),
    iclamp=dict(loc="sec(0.1)", delay=0.0, dur=1e9, amp=0.2),
    v_init=V_INIT,
    tstop=20.0,
    celsius=6.3,
    recorded="sec(0.1).v and sec(0.9).v at t = tstop only",
)


# --------------------------------------------------------------------------
# model builders (each returns a dict that keeps all NEURON objects alive)
# --------------------------------------------------------------------------

def build_hh_soma():
    p = HH_SOMA
    soma = h.Section(name="soma")
    soma.nseg = 1
    soma.diam = p["soma"]["diam"]
    soma.L = p["soma"]["L"]
    soma.insert("hh")
    ic = h.IClamp(soma(0.5))
    ic.delay, ic.dur, ic.amp = p["iclamp"]["delay"], p["iclamp"]["dur"], p["iclamp"]["amp"]
    # record the actually used values (Ra default 35.4)
    p["soma"]["Ra"] = soma.Ra
    p["soma"]["cm"] = soma.cm
    refs = {"v_soma": soma(0.5)._ref_v}
    return dict(soma=soma, ic=ic, refs=refs)


def build_ball_stick():
    p = BALL_STICK
    soma = h.Section(name="soma")
    soma.nseg = 1
    soma.L = p["soma"]["L"]
    soma.diam = p["soma"]["diam"]
    soma.insert("hh")
    dend = h.Section(name="dend")
    dend.nseg = p["dend"]["nseg"]
    dend.L = p["dend"]["L"]
    dend.diam = p["dend"]["diam"]
    dend.insert("pas")
    for seg in dend:
        seg.pas.g = p["dend"]["g_pas"]
        seg.pas.e = p["dend"]["e_pas"]
    for sec in (soma, dend):
        sec.Ra = 100.0
        sec.cm = 1.0
    dend.connect(soma(1), 0)
    ic = h.IClamp(soma(0.5))
    ic.delay, ic.dur, ic.amp = p["iclamp"]["delay"], p["iclamp"]["dur"], p["iclamp"]["amp"]
    refs = {
        "v_soma": soma(0.5)._ref_v,
        "v_dend05": dend(0.5)._ref_v,
        "v_dend1": dend(1)._ref_v,
        "v_dend0_seg": dend(0.005)._ref_v,
    }
    return dict(soma=soma, dend=dend, ic=ic, refs=refs)


# --------------------------------------------------------------------------
# integration helpers
# --------------------------------------------------------------------------

def set_fixed(dt, secondorder):
    h.cvode.active(0)
    h.secondorder = secondorder
    h.dt = dt
    # stdrun's setdt() would otherwise coerce dt to 1/steps_per_ms
    h.steps_per_ms = 1.0 / dt


def set_cvode(atol):
    h.secondorder = 0
    h.cvode.active(1)
    h.cvode.atol(atol)
    h.cvode.rtol(0.0)


def run_model(builder, tstop, record_dt=None):
    """Build a fresh model, record traces + spikes, run, return numpy arrays."""
    m = builder()
    tvec = h.Vector()
    vecs = {k: h.Vector() for k in m["refs"]}
    if record_dt is None:
        tvec.record(h._ref_t)
        for k, ref in m["refs"].items():
            vecs[k].record(ref)
    else:
        tvec.record(h._ref_t, record_dt)
        for k, ref in m["refs"].items():
            vecs[k].record(ref, record_dt)
    spk = h.Vector()
    nc = h.NetCon(m["soma"](0.5)._ref_v, None, sec=m["soma"])
    nc.threshold = 0.0
    nc.record(spk)
    h.finitialize(V_INIT)
    h.continuerun(tstop)
    out = {"t": np.array(tvec), "spikes": np.array(spk)}
    out.update({k: np.array(v) for k, v in vecs.items()})
    del nc
    return out


def count_cvode_steps(builder, tstop):
    """Separate identical run without interval recording.

    Records t at every CVODE step (steps = len - 1) and the spike times.
    Spike times must come from this run: in NEURON 9.0.2, when
    Vector.record(ref, Dt) is active under CVODE, some NetCon threshold
    crossings get reported at the record-event time (a multiple of Dt)
    instead of the interpolated crossing time.
    """
    m = builder()
    tvec = h.Vector()
    tvec.record(h._ref_t)
    spk = h.Vector()
    nc = h.NetCon(m["soma"](0.5)._ref_v, None, sec=m["soma"])
    nc.threshold = 0.0
    nc.record(spk)
    h.finitialize(V_INIT)
    h.continuerun(tstop)
    del nc, m
    return len(tvec) - 1, np.array(spk)


def save(name, arrays, meta):
    meta = dict(meta)
    meta["neuron_version"] = NRN_VERSION
    path = os.path.join(OUT, name)
    np.savez_compressed(path, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    return path


# --------------------------------------------------------------------------
# A / B: hh_soma and ball_stick
# --------------------------------------------------------------------------

def fixed_run(model, builder, params, dt, secondorder, fname, subsample=1):
    h.celsius = params["celsius"]
    set_fixed(dt, secondorder)
    tstop = params["tstop"]
    out = run_model(builder, tstop)
    n_expected = int(round(tstop / dt)) + 1
    assert len(out["t"]) == n_expected, (fname, len(out["t"]), n_expected)
    assert abs(h.dt - dt) < 1e-15, (h.dt, dt)
    for k in list(out):
        if k != "spikes":
            out[k] = out[k][::subsample]
    meta = dict(model=model, params=params,
                method="fixed step " + ("backward Euler (secondorder=0)" if secondorder == 0
                                        else "Crank-Nicolson (secondorder=%d)" % secondorder),
                secondorder=secondorder, dt=dt, tolerance=None,
                record="every step via Vector.record(ref)"
                       + ("" if subsample == 1 else "; subsampled every %d-th sample before saving" % subsample),
                record_interval_ms=dt * subsample,
                spikes_note="NetCon threshold 0 mV at soma(0.5); in fixed-step mode NEURON reports "
                            "the first step time t_n with v(t_n) >= threshold (no interpolation)",
                n_samples=int(len(out["t"])))
    save(fname, out, meta)
    return out


def cvode_run(model, builder, params, atol, fname, record_dt=0.025):
    h.celsius = params["celsius"]
    set_cvode(atol)
    tstop = params["tstop"]
    out = run_model(builder, tstop, record_dt=record_dt)
    nsteps, spikes = count_cvode_steps(builder, tstop)
    h.cvode.active(0)
    out["nsteps"] = np.array(nsteps)
    out["spikes"] = spikes
    meta = dict(model=model, params=params, method="CVODE (h.cvode.active(1))",
                atol=atol, rtol=0.0, secondorder=0, dt=None,
                record="Vector.record(ref, %g): interpolated samples" % record_dt,
                record_interval_ms=record_dt,
                nsteps_note="nsteps = len(t recorded at every step) - 1 in a separate identical run "
                            "(the Dt recording does not change the step count)",
                spikes_note="spike times (NetCon threshold 0 mV, interpolated crossing) taken from "
                            "the separate run without Vector.record(ref, Dt): with interval "
                            "recording active, NEURON 9.0.2 snaps some crossings to the record grid",
                t_note="interval recording stops at the last grid point < tstop because of "
                       "round-off (no sample at t=tstop)",
                n_samples=int(len(out["t"])))
    save(fname, out, meta)
    return out


# --------------------------------------------------------------------------
# C: ion defaults
# --------------------------------------------------------------------------

ION_NAMES = ["nai", "nao", "ena", "ki", "ko", "ek", "cai", "cao", "eca"]


def ion_defaults():
    set_fixed(0.025, 0)
    arrays = {}
    info = {}
    # NEURON's built-in mechanisms (hh, pas, ...) do not use calcium, so
    # ca_ion does not exist until some mechanism declares USEION ca or the ion
    # is registered explicitly.  Register it at run time (charge +2).
    if not hasattr(h, "cai0_ca_ion"):
        h.ion_register("ca", 2)
        info["ca_ion_created_by"] = "h.ion_register('ca', 2) (no built-in mechanism uses ca)"
    sec = h.Section(name="ionsec")
    sec.insert("hh")
    sec.insert("ca_ion")
    # value a freshly inserted ca_ion carries before any initialisation: this
    # is NEURON's global default eca
    eca_default = sec(0.5).eca
    info["ca_ion_default_eca"] = eca_default
    info["ca_ion_default_eca_equals_12.5*ln(cao0/cai0)"] = bool(
        abs(eca_default - 12.5 * np.log(h.cao0_ca_ion / h.cai0_ca_ion)) < 1e-9)
    info["na_ion_default_ena_before_finitialize"] = sec(0.5).ena
    info["k_ion_default_ek_before_finitialize"] = sec(0.5).ek
    for name in ("nai0_na_ion", "nao0_na_ion", "ki0_k_ion", "ko0_k_ion",
                 "cai0_ca_ion", "cao0_ca_ion"):
        info[name] = getattr(h, name)
    for celsius, suffix in ((6.3, "_6p3"), (37.0, "_37")):
        h.celsius = celsius
        h.finitialize(V_INIT)
        for n in ION_NAMES:
            arrays[n + suffix] = np.array(getattr(sec(0.5), n))
        for ion in ("na_ion", "k_ion", "ca_ion"):
            info["ion_style_%s%s" % (ion, suffix)] = int(h.ion_style(ion, sec=sec))
        info["nernst_eca%s" % suffix] = h.nernst(sec(0.5).cai, sec(0.5).cao, 2)
    h.celsius = 6.3
    arrays["FARADAY"] = np.array(h.FARADAY)
    arrays["R"] = np.array(h.R)
    e6, e37 = float(arrays["eca_6p3"]), float(arrays["eca_37"])
    info["eca_depends_on_celsius_when_no_mechanism_writes_cai"] = bool(abs(e6 - e37) > 1e-9)
    info["eca_equals_nernst_at_6p3"] = bool(abs(e6 - info["nernst_eca_6p3"]) < 1e-9)
    info["eca_equals_nernst_at_37"] = bool(abs(e37 - info["nernst_eca_37"]) < 1e-9)
    meta = dict(model="ion_defaults",
                params=dict(section="nseg=1 default geometry; insert hh; insert ca_ion",
                            v_init=V_INIT, celsius=[6.3, 37.0], read_at="sec(0.5)"),
                method="h.finitialize(-65) only (no integration)", dt=None, tolerance=None,
                record_interval_ms=None,
                note="ion_style is the integer returned by h.ion_style(ion) "
                     "(bits: c_style, e_style, einit, eadvance, cinit)",
                findings=info)
    save("ion_defaults.npz", arrays, meta)
    del sec
    return arrays, info


# --------------------------------------------------------------------------
# D: passive CN vs BE order
# --------------------------------------------------------------------------

def passive_order():
    p = PASSIVE
    h.celsius = p["celsius"]
    dts = [0.2, 0.1, 0.05, 0.025, 0.0125]
    res = {k: [] for k in ("v01_be", "v09_be", "v01_cn", "v09_cn")}
    for so, tag in ((0, "be"), (2, "cn")):
        for dt in dts:
            sec = h.Section(name="cable")
            sec.L = p["sec"]["L"]
            sec.diam = p["sec"]["diam"]
            sec.nseg = p["sec"]["nseg"]
            sec.Ra = 100.0
            sec.cm = 1.0
            sec.insert("pas")
            for seg in sec:
                seg.pas.g = p["sec"]["g_pas"]
                seg.pas.e = p["sec"]["e_pas"]
            ic = h.IClamp(sec(0.1))
            ic.delay, ic.dur, ic.amp = p["iclamp"]["delay"], p["iclamp"]["dur"], p["iclamp"]["amp"]
            set_fixed(dt, so)
            h.finitialize(V_INIT)
            h.continuerun(p["tstop"])
            assert abs(h.t - p["tstop"]) < 1e-6 * dt, (h.t, dt)
            res["v01_" + tag].append(sec(0.1).v)
            res["v09_" + tag].append(sec(0.9).v)
            del ic, sec
    h.secondorder = 0
    arrays = {"dts": np.array(dts)}
    arrays.update({k: np.array(v) for k, v in res.items()})
    meta = dict(model="passive_cn_order", params=p,
                method="fixed step, secondorder 0 (BE) and 2 (CN)", dt=dts, tolerance=None,
                record_interval_ms=None,
                record="final values at t=20 ms only: sec(0.1).v, sec(0.9).v "
                       "(node centres of segments 5 and 45 of 51)")
    save("passive_order.npz", arrays, meta)
    return arrays


def main():
    os.makedirs(OUT, exist_ok=True)
    summary = {}
    summary["hh_soma_be_dt0.025"] = fixed_run("hh_soma", build_hh_soma, HH_SOMA, 0.025, 0,
                                              "hh_soma_be_dt0.025.npz")
    summary["hh_soma_be_dt0.005"] = fixed_run("hh_soma", build_hh_soma, HH_SOMA, 0.005, 0,
                                              "hh_soma_be_dt0.005.npz", subsample=5)
    summary["hh_soma_cn_dt0.025"] = fixed_run("hh_soma", build_hh_soma, HH_SOMA, 0.025, 2,
                                              "hh_soma_cn_dt0.025.npz")
    summary["hh_soma_cvode_atol1e-5"] = cvode_run("hh_soma", build_hh_soma, HH_SOMA, 1e-5,
                                                  "hh_soma_cvode_atol1e-5.npz")
    summary["ball_stick_be_dt0.025"] = fixed_run("ball_stick", build_ball_stick, BALL_STICK,
                                                 0.025, 0, "ball_stick_be_dt0.025.npz")
    summary["ball_stick_cvode_atol1e-5"] = cvode_run("ball_stick", build_ball_stick, BALL_STICK,
                                                     1e-5, "ball_stick_cvode_atol1e-5.npz")
    ions, info = ion_defaults()
    po = passive_order()

    print("NEURON", NRN_VERSION)
    for name, out in summary.items():
        s = out["spikes"]
        extra = " nsteps=%d" % int(out["nsteps"]) if "nsteps" in out else ""
        print("%-28s n_t=%6d spikes=%2d first3=%s%s"
              % (name, len(out["t"]), len(s), np.round(s[:3], 6).tolist(), extra))
    print("ion defaults:")
    for k in sorted(ions):
        print("  %-10s %.10g" % (k, float(ions[k])))
    for k, v in info.items():
        print("  %s: %s" % (k, v))
    print("passive order (v at t=20 ms):")
    print("  %-8s %14s %14s %14s %14s" % ("dt", "v01_be", "v09_be", "v01_cn", "v09_cn"))
    for i, dt in enumerate(po["dts"]):
        print("  %-8g %14.9f %14.9f %14.9f %14.9f"
              % (dt, po["v01_be"][i], po["v09_be"][i], po["v01_cn"][i], po["v09_cn"][i]))
    for f in sorted(os.listdir(OUT)):
        print("  %-32s %8d bytes" % (f, os.path.getsize(os.path.join(OUT, f))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
