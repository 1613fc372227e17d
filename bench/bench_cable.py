"""Cable core benchmark: ours against NEURON 9.0.2 on the same models, in one run.

Run:  python bench/bench_cable.py   (NEURON's side needs .venv-neuron: make neuron-venv)

Prints one line: wall times [s] of
  hh_soma    HH soma (L = diam = 10 um), IClamp 0.1 nA 50-250 ms, 300 ms at dt 0.025 (BE),
             the whole run including model build and finitialize (target < 1 s);
  cable1000  HH soma + a 1000-segment passive dendrite, 100 ms at dt 0.025 (BE), the run
             itself (continuerun), and the per-step cost [us] (target <= 3x NEURON's),
and NEURON's times for the same models with the ratios ours / NEURON.
"""

import json
import sys
import time

from _common import best_of, neuron_figures

from cable import Simulation


def hh_soma():
    sim = Simulation(dt=0.025)
    soma = sim.Section("soma", L=10, diam=10)
    soma.insert("hh")
    sim.IClamp(soma(0.5), delay=50, dur=200, amp=0.1)
    sim.record(soma(0.5), "v")
    sim.finitialize(-65)
    sim.continuerun(300)


def cable1000():
    sim = Simulation(dt=0.025)
    soma = sim.Section("soma", L=20, diam=20, Ra=100)
    soma.insert("hh")
    dend = sim.Section("dend", L=1000, diam=2, nseg=1000, Ra=100)
    dend.insert("pas")
    for seg in dend:
        seg.pas.g = 1e-4
        seg.pas.e = -65
    dend.connect(soma(1))
    sim.IClamp(soma(0.5), delay=10, dur=80, amp=0.5)
    sim.finitialize(-65)
    return sim


def main():
    t_hh = best_of(hh_soma)
    sims = []
    t_build = best_of(lambda: sims.append(cable1000()))

    def run():
        sim = cable1000()
        t0 = time.perf_counter()
        sim.continuerun(100)
        run.elapsed = min(getattr(run, "elapsed", 1e9), time.perf_counter() - t0)

    for _ in range(3):
        run()
    steps = 4000
    ours = {
        "hh_soma_s": round(t_hh, 4),
        "cable1000_build_s": round(t_build, 4),
        "cable1000_s": round(run.elapsed, 4),
        "cable1000_per_step_us": round(run.elapsed / steps * 1e6, 2),
    }
    ref = neuron_figures("neuron_cable.py")
    line = {"bench": "cable", **ours}
    if ref is not None:
        line["neuron_hh_soma_s"] = round(ref["hh_soma_s"], 4)
        line["neuron_cable1000_per_step_us"] = round(ref["cable1000_per_step_us"], 2)
        line["ratio_hh_soma"] = round(t_hh / ref["hh_soma_s"], 2)
        line["ratio_cable1000_per_step"] = round(ours["cable1000_per_step_us"] / ref["cable1000_per_step_us"], 2)
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
