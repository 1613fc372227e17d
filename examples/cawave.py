"""The ModelDB 168874 base calcium wave (Neymotin et al. 2015, Neural Computation 27:898).

Run:  python examples/cawave.py --out out/cawave.png

One dendrite (L = 1000 um, diam = 1 um, nseg = 1000) with cytosol and ER as fractional
volumes, IP3 receptors, SERCA pumps and an ER leak across the ER membrane. IP3 is raised
at the centre at 2000 ms and a calcium wave travels both ways. Writes the kymograph of
cytosolic calcium (position against time, as Fig. 2 of the paper) and prints the wave
speed (front = outermost node above 2e-4 mM; least-squares fit over 2500-5000 ms).
"""

import argparse
import pathlib
import time

import numpy as np

import rxd
from cable import Simulation

THRESHOLD = 2e-4  # [mM] the front is the outermost node above this


def er_calcium(dend, *, ca_initial=1e-4, ip3_initial=0.1, gip3r=96320.0):
    """The ER calcium model of ModelDB 168874 on ``dend``: cytosol and ER as fractional
    volumes, IP3 receptors (with their gate), SERCA pumps and a leak across the ER
    membrane. Returns a dict of the regions, species, parameters and reactions."""
    cyt = rxd.Region([dend], name="cyt", nrn_region="i", geometry=rxd.FractionalVolume(0.83, surface_fraction=1))
    er = rxd.Region([dend], name="er", geometry=rxd.FractionalVolume(0.17))
    membrane = rxd.Region([dend], name="cyt_er_membrane", geometry=rxd.ScalableBorder(1))
    ca = rxd.Species([cyt, er], d=0.08, name="ca", charge=2, initial=ca_initial)
    ip3 = rxd.Species(cyt, d=1.415, initial=ip3_initial, name="ip3")
    gip3r = rxd.Parameter(cyt, initial=gip3r, name="gip3r")
    gserca = rxd.Parameter(cyt, initial=1.9565, name="gserca")
    gleak = rxd.Parameter(cyt, initial=18.06, name="gleak")
    h_gate = rxd.State(membrane, initial=0.8, name="h_gate")
    minf = ip3[cyt] * 1000.0 * ca[cyt] / (ip3[cyt] + 0.13) / (1000.0 * ca[cyt] + 0.4)
    k = gip3r[cyt] * (minf * h_gate) ** 3
    return dict(
        dend=dend, cyt=cyt, er=er, membrane=membrane, ca=ca, ip3=ip3, gip3r=gip3r, gserca=gserca,
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


def build(sim):
    """The base model of ModelDB 168874 on a new dendrite of ``sim``; returns a dict."""
    sim.celsius = 37
    dend = sim.Section("dend", L=1000, diam=1, nseg=1000)
    return er_calcium(dend)


def run(tstop=5000.0, cvode=True, atol=1e-6, dt=1.0, record_dt=5.0):
    """Run the base wave; returns (t [ms], kymograph [mM] of shape (time, node), timings)."""
    t0 = time.perf_counter()
    sim = Simulation(dt=dt)
    m = build(sim)
    if cvode:
        sim.cvode.active(1)
        sim.cvode.atol(atol)
    nodes = m["ca"][m["cyt"]].nodes
    kymo = [n._ref_concentration for n in nodes]
    from cable import Vector

    vecs = [Vector().record(r, record_dt) for r in kymo]
    tvec = sim.record_t(record_dt)
    sim.finitialize(-65)
    # boost IP3R density in 10 um windows every 20 um out from the middle (windows inside
    # the dendrite: 500 + 20 k +/- 5 um, k = -24..24)
    for node in m["gip3r"].nodes:
        pos = node.x * m["dend"].L
        if any(abs(pos - (500.0 + 20.0 * k)) < 5.0 for k in range(-24, 25)):
            node.value = 120400.0
    m["ca"][m["er"]].concentration = (0.0017 - 1e-4 * 0.83) / 0.17
    sim.cvode.re_init()

    ip3_nodes = [n for n in m["ip3"].nodes if 498 < n.x * m["dend"].L < 502]

    def stimulate():
        for n in ip3_nodes:
            n.concentration = 1.25
        sim.cvode.re_init()

    sim.cvode.event(2000.0, stimulate)
    t1 = time.perf_counter()
    sim.continuerun(tstop)
    t2 = time.perf_counter()
    kymograph = np.array([v.as_numpy() for v in vecs]).T
    return tvec.as_numpy().copy(), kymograph, {"build_s": t1 - t0, "run_s": t2 - t1, "sim": sim}


def fronts(t, kymograph, t_from=2000.0, dx=1.0):
    """Top and bottom front positions [um] per sample after ``t_from`` (nan: no front)."""
    above = kymograph > THRESHOLD
    pos = (np.arange(kymograph.shape[1]) + 0.5) * dx
    any_ = above.any(axis=1)
    top = np.where(any_, pos[np.where(above, np.arange(above.shape[1]), -1).max(axis=1)], np.nan)
    first = np.where(above, np.arange(above.shape[1]), above.shape[1]).min(axis=1)
    bottom = np.where(any_, pos[np.minimum(first, above.shape[1] - 1)], np.nan)
    keep = t > t_from
    return t[keep], top[keep], bottom[keep]


def wave_speed(t, kymograph, fit=(2500.0, 5000.0)):
    """Speeds of the upward and downward fronts [um/s], least squares over ``fit`` [ms]."""
    tt, top, bottom = fronts(t, kymograph)
    sel = (tt >= fit[0]) & (tt <= fit[1]) & np.isfinite(top)
    up = np.polyfit(tt[sel], top[sel], 1)[0] * 1000.0
    down = -np.polyfit(tt[sel], bottom[sel], 1)[0] * 1000.0
    return up, down


def plot(t, kymograph, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    im = ax.imshow(
        kymograph.T * 1e3, origin="lower", aspect="auto", extent=[t[0], t[-1], 0, kymograph.shape[1]], cmap="magma"
    )
    fig.colorbar(im, ax=ax, label="cytosolic Ca (uM)")
    ax.set_xlabel("t (ms)")
    ax.set_ylabel("position (um)")
    ax.set_title(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("out/cawave.png"))
    parser.add_argument("--fixed", action="store_true", help="fixed step (dt 1 ms) instead of CVODE")
    args = parser.parse_args()
    t, k, info = run(cvode=not args.fixed)
    up, down = wave_speed(t, k)
    print(
        f"wave speed up {up:.2f} um/s, down {down:.2f} um/s; peak {k.max() * 1e3:.3f} uM; "
        f"build {info['build_s']:.2f} s, run {info['run_s']:.2f} s"
    )
    plot(t, k, args.out, f"ModelDB 168874 base wave: {up:.1f} / {down:.1f} um/s")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
