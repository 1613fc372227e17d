"""The electrical ModelDB 168874 model (Neymotin et al. 2015, Fig. 11): AMPA input and the
IP3 calcium wave in a 1000 um dendrite with seven channels loaded from NMODL.

Run:  python examples/cawave_ampa.py --config AMPA0 --out out/cawave_ampa0.png
      python examples/cawave_ampa.py --config AMPA150 --out out/cawave_ampa150.png [--fast]

The model follows ../shared/models/modeldb168874.md: the channels are our own .mod files
in examples/mod168874/ (cal, can, cat, cagk, kap, kdr, na3); an Exp2Syn at dend(0.5)
driven by a NetStim (150 events every 25 ms from 3000 ms for AMPA150, none for AMPA0);
the rxd ER-calcium model coupled to the membrane through ica and cai; the stored steady
state loaded after initialization; IP3 raised to 2.5 mM at the centre at 7000 ms;
12000 ms with CVODE (atol 1e-6). Plots the voltage, cytosolic and ER calcium kymographs
and prints the wave speed and the dendritic spikes.
"""

import argparse
import pathlib
import sys
import time

import numpy as np

from cable import Simulation, Vector, load_mechanisms

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cawave import er_calcium  # noqa: E402  (the same ER calcium model as the base wave)

MOD_DIR = pathlib.Path(__file__).resolve().parent / "mod168874"
THRESHOLD = 2e-4  # [mM] wave front threshold on cytosolic calcium
LOADED = dict(c=6.46633296e-5, e=0.0318464424, p=0.01, h=0.8608449173)  # sheet section 11.4


def build(sim, number=0):
    """The cell, synapse and rxd model in ``sim``; ``number`` synaptic events."""
    sim.celsius = 37.0
    load_mechanisms(MOD_DIR, sim=sim)
    dend = sim.Section("dend", L=1000, diam=1, nseg=1000, Ra=150, cm=1.41)
    for name in ("pas", "cal", "can", "cat", "cagk", "kap", "kdr", "na3"):
        dend.insert(name)
    for seg in dend:
        seg.pas.g, seg.pas.e = 1.0 / 25370.0, -64.0
        seg.cal.gcalbar = seg.can.gcanbar = seg.cat.gcatbar = 1e-6
        seg.cagk.gbar = 9e-3
        seg.kap.gkabar = 0.02
        seg.kdr.gkdrbar = 0.01
        seg.na3.gbar = 0.11
    syn = sim.Exp2Syn(dend(0.5), tau1=0.05, tau2=5.3, e=0.0)
    stim = sim.NetStim(start=3000.0, interval=25.0, number=float(number), noise=0.0)
    nc = sim.NetCon(stim, syn, 0.0, 0.0, 0.5)

    # the mechanisms initialize with NEURON's default cai (5e-5 mM) before the stored
    # rxd state is loaded (sheet 11.4); gip3r is 120400 everywhere in this variant
    parts = er_calcium(dend, ca_initial=5e-5, ip3_initial=0.0, gip3r=120400.0)
    parts.update(syn=syn, stim=stim, nc=nc)
    return parts


#: Per-state tolerances of the fast setting: atol 1e-6 stays on the calcium states (as in
#: NEURON's run), the membrane potential gets 1e-2 mV and the gates 1e-3.
FAST_ATOLSCALE = {"v": 1e4, "gates": 1e3}
CHANNEL_STATES = {"cal": "m", "can": "mh", "cat": "mh", "cagk": "o", "kap": "nl", "kdr": "n", "na3": "mhs"}


def run(config="AMPA0", tstop=12000.0, atol=1e-6, record_dt=5.0, cvode=True, dt=0.025, fast=False, linsolver=None):
    """Run one configuration; returns a dict of numpy arrays and timings.

    ``fast`` loosens the variable step's absolute tolerance on the membrane potential and
    the gates (FAST_ATOLSCALE) while keeping it on calcium: measured on 3000-3100 ms of
    AMPA150, 5.2x fewer steps and the spike times within 0.004 ms of the default; its
    linear solver is 'schur' unless ``linsolver`` says otherwise (cable's
    ``cvode.linsolver``: 'auto', 'band', 'sparse' or 'schur')."""
    number = {"AMPA0": 0, "AMPA150": 150}[config]
    t0 = time.perf_counter()
    sim = Simulation(dt=dt)
    m = build(sim, number)
    if cvode:
        sim.cvode.active(1)
        sim.cvode.atol(atol)
        if fast:
            sim.cvode.linsolver(linsolver or "schur")
            sim.cvode.atolscale("v", FAST_ATOLSCALE["v"])
            for mech, states in CHANNEL_STATES.items():
                for state in states:
                    sim.cvode.atolscale(f"{state}_{mech}", FAST_ATOLSCALE["gates"])
        elif linsolver:
            sim.cvode.linsolver(linsolver)
    dend, ca, cyt, er = m["dend"], m["ca"], m["cyt"], m["er"]
    c_nodes, e_nodes = ca[cyt].nodes, ca[er].nodes
    rec_c = [Vector().record(n._ref_concentration, record_dt) for n in c_nodes]
    rec_e = [Vector().record(n._ref_concentration, record_dt) for n in e_nodes]
    rec_v = [sim.record(seg, "v", record_dt) for seg in dend]
    tvec = sim.record_t(record_dt)
    spikes = []
    sim.NetCon(dend(0.5)._ref_v, None, threshold=0.0).record(spikes)
    sim.finitialize(-65.0)
    # load the stored steady state (sheet 11.4), then restart the integrator
    c_nodes.concentration = LOADED["c"]
    e_nodes.concentration = LOADED["e"]
    m["ip3"].nodes.concentration = LOADED["p"]
    m["h_gate"].nodes.concentration = LOADED["h"]
    sim.cvode.re_init()
    ip3_mid = [n for n in m["ip3"].nodes if 498.0 < n.x * dend.L < 502.0]

    def stimulate():
        for n in ip3_mid:
            n.concentration = 2.5
        sim.cvode.re_init()

    sim.cvode.event(7000.0, stimulate)
    t1 = time.perf_counter()
    sim.continuerun(tstop)
    t2 = time.perf_counter()
    out = dict(
        t=tvec.as_numpy().copy(),
        c=np.array([r.as_numpy() for r in rec_c]).T,
        e=np.array([r.as_numpy() for r in rec_e]).T,
        v=np.array([r.as_numpy() for r in rec_v]).T,
        spikes=np.array(spikes),
        build_s=t1 - t0,
        run_s=t2 - t1,
        steps=sim.cvode.statistics().get("steps"),
    )
    return out


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


def plot(r, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True, layout="constrained")
    ext = [r["t"][0], r["t"][-1], 0, r["c"].shape[1]]
    for ax, data, label, cmap in (
        (axes[0], r["v"], "v (mV)", "viridis"),
        (axes[1], r["c"] * 1e3, "cytosolic Ca (uM)", "magma"),
        (axes[2], r["e"] * 1e3, "ER Ca (uM)", "cividis"),
    ):
        im = ax.imshow(data.T, origin="lower", aspect="auto", extent=ext, cmap=cmap)
        fig.colorbar(im, ax=ax, label=label)
        ax.set_ylabel("position (um)")
    axes[0].set_title(title)
    axes[2].set_xlabel("t (ms)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=["AMPA0", "AMPA150"], default="AMPA0")
    parser.add_argument("--out", type=pathlib.Path, default=None)
    parser.add_argument("--tstop", type=float, default=12000.0)
    parser.add_argument("--fast", action="store_true", help="looser atol on v and gates (see run)")
    parser.add_argument("--linsolver", choices=["auto", "band", "sparse", "schur"], default=None,
                        help="CVODE's linear solver (default: 'auto', with --fast 'schur')")
    args = parser.parse_args()
    out = args.out or pathlib.Path(f"out/cawave_{args.config.lower()}.png")
    r = run(args.config, tstop=args.tstop, fast=args.fast, linsolver=args.linsolver)
    up, down = wave_speed(r["t"], r["c"])
    mid = r["c"].shape[1] // 2
    print(
        f"{args.config}: wave speed up {up:.2f} / down {down:.2f} um/s; {len(r['spikes'])} spikes"
        f"{' (first ' + ', '.join(f'{s:.4f}' for s in r['spikes'][:3]) + ' ms)' if len(r['spikes']) else ''}; "
        f"V at mid min/max {r['v'][:, mid].min():.2f}/{r['v'][:, mid].max():.2f} mV; "
        f"build {r['build_s']:.1f} s, run {r['run_s']:.1f} s, {r['steps']} steps"
    )
    plot(r, out, f"ModelDB 168874 {args.config}: wave {up:.1f} / {down:.1f} um/s")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
