"""NMODL loader benchmark: load times and the per-step cost of a translated mechanism.

Run:  python bench/bench_nmodl.py

Prints one line of JSON:
  load_cold_s    the seven ModelDB 168874 channels and tests/cable/mod/hh.mod loaded in a
                 fresh process with an empty cache (parse, translate, write, exec; includes
                 importing sympy, which the translator needs), after ``import cable``;
  load_cached_s  the same eight files in a fresh process whose disk cache is warm;
  load_again_s   a second load in the same process;
  us_per_step    the HH soma (L = diam = 10 um, IClamp 0.1 nA 50-250 ms, dt 0.025, 300 ms)
                 with the built-in hh and with hh.mod (best of 7 alternating runs of continuerun),
                 and their ratio (target <= 1.5).
"""

import json
import pathlib
import subprocess
import sys
import tempfile
import time

from _common import ROOT

from cable import Simulation
from cable._nmodl import load_mechanisms

FILES = [ROOT / "examples" / "mod168874", ROOT / "tests" / "cable" / "mod" / "hh.mod"]
_CHILD = """
import sys, time
import cable
from cable._nmodl import load_mechanisms
t0 = time.perf_counter()
for path in sys.argv[2:]:
    load_mechanisms(path, cache_dir=sys.argv[1])
print(time.perf_counter() - t0)
"""


def load_in_fresh_process(cache):
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(cache), *map(str, FILES)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def run_us_per_step(mod, cache):
    sim = Simulation(dt=0.025)
    if mod:
        load_mechanisms(FILES[1], sim, cache_dir=cache)
    soma = sim.Section("soma", L=10, diam=10)
    soma.insert("hh")
    sim.IClamp(soma(0.5), delay=50, dur=200, amp=0.1)
    sim.record(soma(0.5), "v")
    sim.finitialize(-65)
    t0 = time.perf_counter()
    sim.continuerun(300)
    return (time.perf_counter() - t0) / 12000 * 1e6


def per_step_us(cache, repeats=7):
    """Best of ``repeats`` for the built-in and for hh.mod, run alternately (so that a
    busy machine slows both alike)."""
    best = {False: float("inf"), True: float("inf")}
    for _ in range(repeats):
        for mod in (False, True):
            best[mod] = min(best[mod], run_us_per_step(mod, cache))
    return best[False], best[True]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        cache = pathlib.Path(tmp)
        cold = load_in_fresh_process(cache)
        cached = load_in_fresh_process(cache)
        for path in FILES:
            load_mechanisms(path, cache_dir=cache)
        t0 = time.perf_counter()
        for path in FILES:
            load_mechanisms(path, cache_dir=cache)
        again = time.perf_counter() - t0
        builtin, mod = per_step_us(cache)
    print(
        json.dumps(
            {
                "files": 8,
                "load_cold_s": round(cold, 4),
                "load_cached_s": round(cached, 4),
                "load_again_s": round(again, 4),
                "us_per_step": {
                    "hh_builtin": round(builtin, 2),
                    "hh_mod": round(mod, 2),
                    "ratio": round(mod / builtin, 3),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
