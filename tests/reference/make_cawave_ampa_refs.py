"""Generate the NEURON 9.0.2 reference of the electrical ModelDB 168874 model with AMPA150
(examples/cawave_ampa.py; 12 s, 150 synaptic events) on OUR .mod files.

Run from the repository root with the NEURON oracle venv (``make neuron-venv``)::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python tests/reference/make_cawave_ampa_refs.py

(about 10 minutes). NEURON is only the oracle; the project never imports it. The model,
its compilation with nrnivmodl in a temporary directory and the figures are those of
bench/neuron_cawave_ampa.py (run here as a child process, ``--config AMPA150``), whose
docstring gives every setting (CVODE atol 1e-6, the loaded steady state, IP3 at 7000 ms).

File written: tests/reference/data/cawave_ampa150_neuron.npz with
  spikes_ms        (150,) upward 0 mV crossings at dend(0.5) [ms] (NetCon, CVODE)
  speed_um_s       (2,) wave front speed up / down [um/s] (front: outermost node with
                   c > 2e-4 mM, least squares over 7100-8000 ms, sampled every 5 ms)
  v_mid_min_max    (2,) [mV] of v at dend(0.5) sampled every 5 ms
  peak_c           () largest cytosolic calcium on the 5 ms samples [mM]
  meta             JSON: NEURON version, run time, CVODE steps and statistics, settings
"""

import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "data", "cawave_ampa150_neuron.npz")


def main():
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    script = os.path.join(ROOT, "bench", "neuron_cawave_ampa.py")
    res = subprocess.run([sys.executable, script, "--config", "AMPA150"], capture_output=True, text=True, check=True,
                         env=env)
    r = json.loads(res.stdout.strip().splitlines()[-1])
    meta = {k: r[k] for k in ("neuron_version", "config", "tstop", "run_s", "cvode_steps", "cvode_stats",
                              "ip3_stim_nodes", "samples")}
    meta["settings"] = "bench/neuron_cawave_ampa.py --config AMPA150 (see its docstring)"
    np.savez_compressed(
        OUT,
        spikes_ms=np.array(r["spikes_ms"]),
        speed_um_s=np.array([r["speed_up_um_s"], r["speed_down_um_s"]]),
        v_mid_min_max=np.array([r["v_mid_min"], r["v_mid_max"]]),
        peak_c=np.array(r["peak_c"]),
        meta=json.dumps(meta),
    )
    print(f"wrote {OUT}: {len(r['spikes_ms'])} spikes, speeds {r['speed_up_um_s']:.3f} / {r['speed_down_um_s']:.3f} um/s")


if __name__ == "__main__":
    main()
