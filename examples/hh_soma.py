"""A Hodgkin-Huxley soma driven by a current step: the NEURON tutorial model, native API.

Run:  python examples/hh_soma.py --out out/hh_soma.png

Writes a PNG of the membrane potential and prints the spike times.
"""

import argparse
import pathlib

import numpy as np

from cable import Simulation


def run(dt=0.025, tstop=300.0):
    """Simulate the soma; returns (t [ms], v [mV]) as numpy arrays."""
    sim = Simulation(dt=dt)
    soma = sim.Section("soma", L=10, diam=10, nseg=1)
    soma.insert("hh")
    sim.IClamp(soma(0.5), delay=50, dur=200, amp=0.1)
    t = sim.record_t()
    v = sim.record(soma(0.5), "v")
    sim.finitialize(-65)
    sim.continuerun(tstop)
    return t.as_numpy().copy(), v.as_numpy().copy()


def spike_times(t, v, threshold=0.0):
    """Upward threshold crossings [ms], linearly interpolated between samples."""
    k = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    return t[k] + (threshold - v[k]) * (t[k + 1] - t[k]) / (v[k + 1] - v[k])


def plot(t, v, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
    ax.plot(t, v, lw=1)
    ax.axvspan(50, 250, color="0.9", zorder=0, label="IClamp 0.1 nA")
    ax.set_xlabel("t (ms)")
    ax.set_ylabel("v (mV)")
    ax.set_title("HH soma (L = diam = 10 um), 0.1 nA from 50 to 250 ms")
    ax.legend(loc="upper right")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("out/hh_soma.png"))
    args = parser.parse_args()
    t, v = run()
    spikes = spike_times(t, v)
    print(f"{len(spikes)} spikes; first at {', '.join(f'{s:.3f}' for s in spikes[:3])} ms")
    plot(t, v, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
