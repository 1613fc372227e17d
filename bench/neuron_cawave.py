"""Time NEURON's rxd on the ModelDB 168874 base calcium wave (oracle only; the
project never imports NEURON).

Run from the repository root with the NEURON venv (NEURON 9.0.2)::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python bench/neuron_cawave.py

(~30 s).  Prints exactly ONE line of JSON to stdout, e.g.
{"neuron_version": "9.0.2", "cvode_run_s": ..., "fixed_dt1_run_s": ..., "setup_s": ...,
 "cvode_steps": ..., "speed_up_um_per_s": ..., "speed_down_um_per_s": ..., ...}

The model, its initialisation and the recording are imported from
``tests/reference/make_rxd_refs.py`` (``run_cawave``), so they are identical to
the reference files: dend L=1000 um, diam=1, nseg=1000, celsius 37; cyt/er/
cyt_er_membrane regions; ca, ip3, gip3r/gserca/gleak, h_gate; IP3R, SERCA, leak;
gip3r hot spots, ER ca init, IP3 = 1.25 at 498-502 um at t = 2000 ms;
Vector.record(node._ref_concentration, 5) on all 1000 cytosolic nodes.

Times are wall seconds (time.perf_counter):
  cvode_run_s      h.continuerun(5000) with CVODE atol 1e-6 (rtol default)
  fixed_dt1_run_s  h.continuerun(5000) with the fixed step dt = 1 ms
  setup_s          build + record setup + finitialize + init tweaks (CVODE run)
rxd keeps global state, so every timed simulation runs in a fresh child
process; each timing is the best of 2 such processes.
"""

import json
import os
import subprocess
import sys

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))

REPEATS = 2


def worker(mode):
    import neuron
    import make_rxd_refs as refs
    from neuron import h, rxd
    h.load_file("stdrun.hoc")
    if mode == "cvode":
        out, stats = refs.run_cawave(h, rxd, "cvode", atol=refs.CAWAVE_ATOL, full=False)
    else:
        out, stats = refs.run_cawave(h, rxd, "fixed", dt=1.0, full=False)
    res = dict(neuron_version=neuron.__version__, run_s=float(out["run_wall_s"]),
               setup_s=float(out["setup_wall_s"]), steps=int(out["nsteps"]),
               speed_up_um_per_s=float(out["speed_up_um_per_s"]),
               speed_down_um_per_s=float(out["speed_down_um_per_s"]),
               onset_ms=float(out["onset_ms"]), peak_c=float(out["peak_c"]), stats=stats)
    sys.stdout.flush()
    print("RESULT " + json.dumps(res))
    sys.stdout.flush()


def child(mode):
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", mode],
                       capture_output=True, text=True, check=True,
                       env=dict(os.environ, NEURON_MODULE_OPTIONS="-nogui"))
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def main(argv):
    if len(argv) == 2 and argv[0] == "--worker":
        worker(argv[1])
        return 0
    cv = [child("cvode") for _ in range(REPEATS)]
    fx = [child("fixed1") for _ in range(REPEATS)]
    out = {
        "neuron_version": cv[0]["neuron_version"],
        "method": "rxd base Ca wave, 5000 ms; CVODE atol 1e-6 and fixed dt=1 ms; best of 2",
        "cvode_run_s": min(r["run_s"] for r in cv),
        "fixed_dt1_run_s": min(r["run_s"] for r in fx),
        "setup_s": min(r["setup_s"] for r in cv),
        "cvode_steps": cv[0]["steps"],
        "cvode_stats": cv[0]["stats"],
        "fixed_dt1_steps": fx[0]["steps"],
        "speed_up_um_per_s": cv[0]["speed_up_um_per_s"],
        "speed_down_um_per_s": cv[0]["speed_down_um_per_s"],
        "fixed_dt1_speed_up_um_per_s": fx[0]["speed_up_um_per_s"],
        "fixed_dt1_speed_down_um_per_s": fx[0]["speed_down_um_per_s"],
        "onset_ms": cv[0]["onset_ms"],
        "peak_c_mM": cv[0]["peak_c"],
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
