"""A ball-and-stick neuron: an HH soma with a passive dendrite, native API.

Run:  python examples/ball_and_stick.py --out out/ball_and_stick.png

Soma L = diam = 20 um with hh; dendrite L = 500 um, diam = 1 um, nseg = 101, pas
(g = 0.001 S/cm2, e = -65 mV); Ra = 100 ohm cm, cm = 1 uF/cm2; dend(0) on soma(1);
IClamp 0.5 nA at the soma from 50 to 250 ms. Plots v at the soma and along the dendrite.
"""

import argparse
import pathlib

from cable import Simulation


def build(sim):
    soma = sim.Section("soma", L=20, diam=20, Ra=100)
    soma.insert("hh")
    dend = sim.Section("dend", L=500, diam=1, nseg=101, Ra=100)
    dend.insert("pas")
    for seg in dend:
        seg.pas.g = 0.001
        seg.pas.e = -65
    dend.connect(soma(1))
    sim.IClamp(soma(0.5), delay=50, dur=200, amp=0.5)
    return soma, dend


def run(tstop=300.0, cvode=False):
    """Returns t [ms] and a dict of v traces [mV] at the soma and three dendrite points."""
    sim = Simulation()
    soma, dend = build(sim)
    if cvode:
        sim.cvode.active(1)
        sim.cvode.atol(1e-5)
    t = sim.record_t(dt=0.025 if cvode else None)
    where = {"soma": soma(0.5), "dend(0.1)": dend(0.1), "dend(0.5)": dend(0.5), "dend(1)": dend(1)}
    rec = {k: sim.record(seg, "v", dt=0.025 if cvode else None) for k, seg in where.items()}
    sim.finitialize(-65)
    sim.continuerun(tstop)
    return t.as_numpy().copy(), {k: r.as_numpy().copy() for k, r in rec.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("out/ball_and_stick.png"))
    parser.add_argument("--cvode", action="store_true", help="variable step (atol 1e-5)")
    args = parser.parse_args()
    t, traces = run(cvode=args.cvode)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5.5), layout="constrained", sharex=False)
    for name, v in traces.items():
        ax1.plot(t, v, lw=1, label=name)
    ax1.set_xlabel("t (ms)")
    ax1.set_ylabel("v (mV)")
    ax1.legend(loc="upper right", fontsize=8)
    ax1.set_title("Ball and stick: 0.5 nA into the soma from 50 to 250 ms")
    window = (t >= 50) & (t <= 70)
    for name, v in traces.items():
        ax2.plot(t[window], v[window], lw=1, label=name)
    ax2.set_xlabel("t (ms)")
    ax2.set_ylabel("v (mV)")
    ax2.set_title("first spikes: attenuation along the dendrite")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
