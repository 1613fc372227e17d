"""The electrical ModelDB 168874 model (AMPA0 / AMPA150): ours against NEURON 9.0.2.

Run:  python bench/bench_cawave_ampa.py             (AMPA0: ours ~1 min, NEURON ~20 s)
      python bench/bench_cawave_ampa.py --ampa150   (also AMPA150: ours ~2-10 min per setting,
                                                     NEURON ~12 min)
      python bench/bench_cawave_ampa.py --ampa150 --skip-ampa0 --settings fast_schur

Ours is examples/cawave_ampa.py's run(config) with the default tolerances (fast=False) and
with FAST_ATOLSCALE (fast=True), with the default linear solver ('auto', no prefix), 'sparse'
(fast_) and cvode.linsolver('schur') (schur_ / fast_schur_; ``--settings`` picks some of the
four), and with ``--fixed DT`` on the fixed step (backward Euler, prefix fixed<DT>_; its
"cvode_steps" is None); NEURON's side is bench/neuron_cawave_ampa.py in the NEURON
venv (.venv-neuron; skipped when it does not exist), built on the same .mod files. All runs
are sequential, one at a time. Prints ONE JSON line per config: build and run times [s],
CVODE steps, wave speeds up/down [um/s], spike counts and first spike times [ms], V min/max
at mid [mV] of each side, and against NEURON: run-time ratios ours/NEURON, wave speed
differences [%] and the largest |spike time difference| [ms] (over the common count).
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
from _common import NEURON_PYTHON, ROOT

sys.path.insert(0, str(ROOT / "examples"))
import cawave_ampa


def ours(config, tstop, fast, linsolver=None, fixed_dt=None):
    if fixed_dt is not None:
        r = cawave_ampa.run(config, tstop=tstop, cvode=False, dt=fixed_dt)
    else:
        r = cawave_ampa.run(config, tstop=tstop, fast=fast, linsolver=linsolver)
    up, down = cawave_ampa.wave_speed(r["t"], r["c"])
    mid = r["c"].shape[1] // 2  # node 500 = dend(0.5)
    return dict(
        build_s=r["build_s"], run_s=r["run_s"], cvode_steps=r["steps"],
        speed_up_um_s=float(up), speed_down_um_s=float(down),
        spikes_ms=[float(s) for s in r["spikes"]],
        v_mid_min=float(r["v"][:, mid].min()), v_mid_max=float(r["v"][:, mid].max()),
    )


def neuron(config, tstop):
    if not NEURON_PYTHON.exists():
        return None
    out = subprocess.run(
        [str(NEURON_PYTHON), str(ROOT / "bench" / "neuron_cawave_ampa.py"), "--config", config, "--tstop", str(tstop)],
        capture_output=True, text=True, check=True, env=dict(os.environ, NEURON_MODULE_OPTIONS="-nogui"),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def summary(prefix, d):
    sp = d["spikes_ms"]
    return {
        f"{prefix}build_s": round(d["build_s"], 3),
        f"{prefix}run_s": round(d["run_s"], 3),
        f"{prefix}cvode_steps": d["cvode_steps"],
        f"{prefix}speed_up_um_s": round(d["speed_up_um_s"], 3),
        f"{prefix}speed_down_um_s": round(d["speed_down_um_s"], 3),
        f"{prefix}n_spikes": len(sp),
        f"{prefix}first_spikes_ms": [round(s, 4) for s in sp[:3]],
        f"{prefix}v_mid_min_max": [round(d["v_mid_min"], 3), round(d["v_mid_max"], 3)],
    }


def compare(prefix, d, ref):
    pct = lambda a, b: round(100.0 * (a - b) / b, 3) if np.isfinite(a) and np.isfinite(b) else None
    n = min(len(d["spikes_ms"]), len(ref["spikes_ms"]))
    diff = np.abs(np.array(d["spikes_ms"][:n]) - np.array(ref["spikes_ms"][:n]))
    return {
        f"{prefix}ratio_run": round(d["run_s"] / ref["run_s"], 3),
        f"{prefix}speed_up_diff_pct": pct(d["speed_up_um_s"], ref["speed_up_um_s"]),
        f"{prefix}speed_down_diff_pct": pct(d["speed_down_um_s"], ref["speed_down_um_s"]),
        f"{prefix}spike_count_diff": len(d["spikes_ms"]) - len(ref["spikes_ms"]),
        f"{prefix}spike_max_abs_diff_ms": round(float(diff.max()), 6) if n else None,
    }


#: our variable-step settings: prefix -> (fast, linsolver)
SETTINGS = {"": (False, None), "schur_": (False, "schur"), "fast_": (True, "sparse"), "fast_schur_": (True, "schur")}


def bench(config, tstop, fixed_dt=None, settings=None):
    line = {"bench": "cawave_ampa", "config": config, "tstop": tstop, "load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    runs = {}
    for prefix, (fast, linsolver) in SETTINGS.items():
        if settings is None or (prefix.rstrip("_") or "default") in settings:
            runs[prefix] = ours(config, tstop, fast=fast, linsolver=linsolver)
    if fixed_dt is not None:
        runs[f"fixed{fixed_dt}_"] = ours(config, tstop, fast=False, fixed_dt=fixed_dt)
    ref = neuron(config, tstop)
    for prefix, d in runs.items():
        line.update(summary(prefix, d))
    if ref is not None:
        line["neuron_version"] = ref["neuron_version"]
        line.update(summary("neuron_", ref))
        for prefix, d in runs.items():
            line.update(compare(prefix, d, ref))
    line["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(line), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ampa150", action="store_true", help="also run AMPA150 (tens of minutes)")
    parser.add_argument("--tstop", type=float, default=12000.0)
    parser.add_argument("--fixed", type=float, default=None, metavar="DT",
                        help="also ours on the fixed step (backward Euler) with this dt [ms]")
    parser.add_argument("--skip-ampa0", action="store_true")
    parser.add_argument("--settings", nargs="+", default=None, choices=["default", "schur", "fast", "fast_schur"],
                        help="our variable-step settings to run (default: all four)")
    args = parser.parse_args()
    if not args.skip_ampa0:
        bench("AMPA0", args.tstop, args.fixed, args.settings)
    if args.ampa150:
        bench("AMPA150", args.tstop, args.fixed, args.settings)


if __name__ == "__main__":
    main()
