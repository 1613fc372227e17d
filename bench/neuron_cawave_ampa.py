"""Time NEURON 9.0.2 on the electrical ModelDB 168874 model (AMPA0 / AMPA150), built on OUR
.mod files (oracle only; the project never imports NEURON).

Run from the repository root with the NEURON venv::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python bench/neuron_cawave_ampa.py --config AMPA0

(AMPA0 ~10 s; AMPA150 ~9 minutes.)  Prints exactly ONE line of JSON to stdout.

The model is the one of examples/cawave_ampa.py, statement for statement: examples/mod168874/*.mod
compiled with nrnivmodl in a temporary directory (removed afterwards; nothing is built in the
repository) and loaded with neuron.load_mechanisms; dend L 1000, diam 1, nseg 1000, Ra 150,
cm 1.41, celsius 37; pas + the seven channels at the densities of the sheet (section 11.2);
Exp2Syn at dend(0.5) (tau1 0.05, tau2 5.3, e 0), NetStim start 3000, interval 25, number 0 or
150, noise 0, NetCon weight 0.5, delay 0; the ER calcium model of examples/cawave.py:er_calcium
with ca initial 5e-5 (NEURON's default cai, seen by the mechanisms' INITIAL), ip3 initial 0,
gip3r 120400 everywhere. CVODE atol 1e-6; finitialize(-65), then the loaded steady state
(sheet 11.4) is set on the rxd nodes and cvode.re_init(); IP3 = 2.5 mM at 498 < x < 502 um at
7000 ms via cvode.event (+ re_init). Records c on all 1000 cytosolic nodes and v at dend(0.5)
every 5 ms (Vector.record(ref, 5)), t at every step (the step count), spikes with a NetCon on
dend(0.5)._ref_v, threshold 0.

Figures: build_s (load mechanisms, build, record setup, init, loaded state; not nrnivmodl,
which is compile_s), run_s (h.continuerun(tstop), wall), cvode_steps (len(t vector) - 1) and
h.cvode.statistics() counts, wave speed up/down [um/s] (definition copied from
examples/cawave_ampa.py: front = outermost node with c > 2e-4 mM, least squares over
7100-8000 ms), spikes (count, first three times), V min/max at mid [mV].
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MOD_DIR = os.path.join(HERE, "..", "examples", "mod168874")
THRESHOLD = 2e-4  # [mM] wave front threshold on cytosolic calcium
LOADED = dict(c=6.46633296e-5, e=0.0318464424, p=0.01, h=0.8608449173)  # sheet section 11.4


class _StdoutToStderr:
    """Send C-level stdout (fd 1) to stderr, so that stdout carries only the JSON line."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        os.dup2(2, 1)

    def __exit__(self, *exc):
        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)


def _capture_fd1(fn):
    """Run ``fn()`` and return what it printed on C-level stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            fn()
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
        tmp.seek(0)
        return tmp.read().decode(errors="replace")


def cvode_stats(h):
    txt = _capture_fd1(h.cvode.statistics)
    stats = {}
    for pat, keys in (
        (r"(\d+) advance_tn, (\d+) interpolate, (\d+) init", ("advance_tn", "interpolate", "init")),
        (r"(\d+) function evaluations, (\d+) mx=b solves, (\d+) jacobian setups", ("f_evals", "mxb_solves", "jac_setups")),
    ):
        mt = re.search(pat, txt)
        if mt:
            stats.update(zip(keys, map(int, mt.groups())))
    return stats


# --- copied from examples/cawave_ampa.py (fronts, wave_speed) -------------------------------
def fronts(t, kymograph, t_from=7000.0, dx=1.0):
    """Top and bottom front positions [um] per sample after ``t_from`` (nan: no front)."""
    above = kymograph > THRESHOLD
    idx = np.arange(kymograph.shape[1])
    any_ = above.any(axis=1)
    top = np.where(any_, (np.where(above, idx, -1).max(axis=1) + 0.5) * dx, np.nan)
    bottom = np.where(any_, (np.where(above, idx, kymograph.shape[1]).min(axis=1) + 0.5) * dx, np.nan)
    keep = t > t_from
    return t[keep], top[keep], bottom[keep]


def wave_speed(t, kymograph, fit=(7100.0, 8000.0)):
    """Upward and downward front speeds [um/s] (least squares over ``fit`` [ms])."""
    tt, top, bottom = fronts(t, kymograph)
    sel = (tt >= fit[0]) & (tt <= fit[1]) & np.isfinite(top)
    if sel.sum() < 2:
        return np.nan, np.nan
    return np.polyfit(tt[sel], top[sel], 1)[0] * 1e3, -np.polyfit(tt[sel], bottom[sel], 1)[0] * 1e3


# ---------------------------------------------------------------------------------------------
def compile_mods(tmpdir):
    for f in sorted(glob.glob(os.path.join(MOD_DIR, "*.mod"))):
        shutil.copy(f, tmpdir)
    nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
    subprocess.run([nrnivmodl], cwd=tmpdir, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def er_calcium(rxd, dend, ca_initial, ip3_initial, gip3r):
    """examples/cawave.py:er_calcium in NEURON's rxd."""
    cyt = rxd.Region([dend], name="cyt", nrn_region="i", geometry=rxd.FractionalVolume(0.83, surface_fraction=1))
    er = rxd.Region([dend], name="er", geometry=rxd.FractionalVolume(0.17))
    membrane = rxd.Region([dend], name="cyt_er_membrane", geometry=rxd.ScalableBorder(1))
    ca = rxd.Species([cyt, er], d=0.08, name="ca", charge=2, initial=ca_initial)
    ip3 = rxd.Species(cyt, d=1.415, initial=ip3_initial, name="ip3")
    gip3r_p = rxd.Parameter(cyt, initial=gip3r, name="gip3r")
    gserca = rxd.Parameter(cyt, initial=1.9565, name="gserca")
    gleak = rxd.Parameter(cyt, initial=18.06, name="gleak")
    h_gate = rxd.State(membrane, initial=0.8, name="h_gate")
    minf = ip3[cyt] * 1000.0 * ca[cyt] / (ip3[cyt] + 0.13) / (1000.0 * ca[cyt] + 0.4)
    k = gip3r_p[cyt] * (minf * h_gate) ** 3
    return dict(
        dend=dend, cyt=cyt, er=er, membrane=membrane, ca=ca, ip3=ip3, gip3r=gip3r_p, gserca=gserca,
        gleak=gleak, h_gate=h_gate,
        ip3r=rxd.MultiCompartmentReaction(ca[er] != ca[cyt], k, k, membrane=membrane),
        ip3rg=rxd.Rate(h_gate, (1.0 / (1 + 1000.0 * ca[cyt] / 0.4) - h_gate) / 400.0),
        serca=rxd.MultiCompartmentReaction(
            ca[cyt] > ca[er],
            gserca[cyt] * (1e3 * ca[cyt]) ** 2 / (0.1**2 + (1e3 * ca[cyt]) ** 2),
            membrane=membrane,
            custom_dynamics=True,
        ),
        leak=rxd.MultiCompartmentReaction(ca[er] != ca[cyt], gleak[cyt], gleak[cyt], membrane=membrane),
    )


def run(config, tstop, tmpdir, atol=1e-6, record_dt=5.0):
    number = {"AMPA0": 0, "AMPA150": 150}[config]
    t0 = time.perf_counter()
    import neuron
    from neuron import h, rxd

    with _StdoutToStderr():
        neuron.load_mechanisms(tmpdir)
        h.load_file("stdrun.hoc")
    h.celsius = 37.0
    dend = h.Section(name="dend")
    dend.L, dend.diam, dend.nseg, dend.Ra, dend.cm = 1000, 1, 1000, 150, 1.41
    for name in ("pas", "cal", "can", "cat", "cagk", "kap", "kdr", "na3"):
        dend.insert(name)
    for seg in dend:
        seg.pas.g, seg.pas.e = 1.0 / 25370.0, -64.0
        seg.cal.gcalbar = seg.can.gcanbar = seg.cat.gcatbar = 1e-6
        seg.cagk.gbar = 9e-3
        seg.kap.gkabar = 0.02
        seg.kdr.gkdrbar = 0.01
        seg.na3.gbar = 0.11
    syn = h.Exp2Syn(dend(0.5))
    syn.tau1, syn.tau2, syn.e = 0.05, 5.3, 0.0
    stim = h.NetStim()
    stim.start, stim.interval, stim.number, stim.noise = 3000.0, 25.0, float(number), 0.0
    nc = h.NetCon(stim, syn, 0.0, 0.0, 0.5)
    m = er_calcium(rxd, dend, ca_initial=5e-5, ip3_initial=0.0, gip3r=120400.0)
    m.update(syn=syn, stim=stim, nc=nc)

    h.cvode.active(1)
    h.cvode.atol(atol)
    ca, cyt, er = m["ca"], m["cyt"], m["er"]
    c_nodes, e_nodes = ca[cyt].nodes, ca[er].nodes
    rec_c = []
    for n in c_nodes:
        vec = h.Vector()
        vec.record(n._ref_concentration, record_dt)
        rec_c.append(vec)
    rec_v = h.Vector()
    rec_v.record(dend(0.5)._ref_v, record_dt)
    tvec = h.Vector()
    tvec.record(h._ref_t, record_dt)
    tall = h.Vector()
    tall.record(h._ref_t)
    spikes = h.Vector()
    spk = h.NetCon(dend(0.5)._ref_v, None, sec=dend)
    spk.threshold = 0.0
    spk.record(spikes)

    h.finitialize(-65.0)
    # the loaded steady state (sheet 11.4), then restart the integrator
    c_nodes.concentration = LOADED["c"]
    e_nodes.concentration = LOADED["e"]
    m["ip3"].nodes.concentration = LOADED["p"]
    m["h_gate"].nodes.concentration = LOADED["h"]
    h.cvode.re_init()
    ip3_mid = [n for n in m["ip3"].nodes if 498.0 < n.x * dend.L < 502.0]

    def stimulate():
        for n in ip3_mid:
            n.concentration = 2.5
        h.cvode.re_init()

    h.cvode.event(7000.0, stimulate)
    t1 = time.perf_counter()
    h.continuerun(tstop)
    t2 = time.perf_counter()

    nsamp = min(len(tvec), min(len(v) for v in rec_c), len(rec_v))
    t = tvec.as_numpy()[:nsamp].copy()
    kymo = np.array([v.as_numpy()[:nsamp] for v in rec_c]).T
    vmid = rec_v.as_numpy()[:nsamp]
    up, down = wave_speed(t, kymo)
    sp = list(spikes)
    return dict(
        neuron_version=neuron.__version__,
        config=config,
        tstop=tstop,
        build_s=t1 - t0,
        run_s=t2 - t1,
        cvode_steps=len(tall) - 1,
        cvode_stats=cvode_stats(h),
        ip3_stim_nodes=len(ip3_mid),
        speed_up_um_s=float(up),
        speed_down_um_s=float(down),
        n_spikes=len(sp),
        first_spikes_ms=[float(s) for s in sp[:3]],
        spikes_ms=[float(s) for s in sp],
        v_mid_min=float(vmid.min()),
        v_mid_max=float(vmid.max()),
        c_mid_7000=float(kymo[t.searchsorted(7000.0), 500]) if t[-1] >= 7000.0 else None,
        peak_c=float(kymo.max()),
        samples=int(nsamp),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=["AMPA0", "AMPA150"], default="AMPA0")
    parser.add_argument("--tstop", type=float, default=12000.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nrnmod168874_") as tmpdir:
        t0 = time.perf_counter()
        compile_mods(tmpdir)
        compile_s = time.perf_counter() - t0
        out = run(args.config, args.tstop, tmpdir)
    out = dict(out, compile_s=compile_s)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
