"""Parameter sweeps: the 16-point calcium-wave example on 1 and 2 local processes, and
each executor's overhead per point.

Run:  python bench/bench_sweep.py   (the MPI figure needs mpiexec and mpi4py)

Prints one line of JSON: wall time [s] of examples/cawave_sweep.py's 16 points in this
process and on 1 and 2 worker processes (best of 3, pool start included), the speed-up
of 2 processes over 1 (target >= 1.8 on 2 cores), whether the tables agree, and the
overhead per point [ms] of a sweep of 200 trivial points in this process, on 2 local
processes, on a local Dask cluster of 2 workers and on 2 MPI workers
(``mpiexec -n 3 python -m mpi4py.futures``), executors already started. The load
average before and after tells whether other processes shared the 2 cores.
"""

import concurrent.futures as cf
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from _common import best_of

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))
import cawave_sweep  # noqa: E402

from rxd._sweep import _mpiexec_env, sweep  # noqa: E402

N_TRIVIAL = 200


def trivial(i):
    """A model that does nothing: what is left is the sweep's own cost."""
    return {"twice": 2 * i}


def per_point_ms(executor):
    """Wall time per point [ms] of a sweep of N_TRIVIAL trivial points (after a warm-up)."""
    sweep(trivial, {"i": range(4)}, executor=executor, progress=False)
    t0 = time.perf_counter()
    table = sweep(trivial, {"i": range(N_TRIVIAL)}, executor=executor, progress=False)
    wall = time.perf_counter() - t0
    if not (table["status"] == "ok").all():
        raise RuntimeError(f"trivial points failed:\n{table['error'].dropna().iloc[0]}")
    return 1e3 * wall / N_TRIVIAL


def example_on(workers):
    """Best wall time [s] of the 16-point example on ``workers`` processes, and its table."""
    tables = []

    def once():
        executor = "serial" if workers == 0 else cf.ProcessPoolExecutor(workers)
        tables.append(sweep(cawave_sweep.model, cawave_sweep.GRID, executor=executor, progress=False))
        if workers:
            executor.shutdown()

    return best_of(once, repeats=3), tables[-1]


def dask_ms():
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return None
    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    with cluster, Client(cluster) as client:
        return per_point_ms(client.get_executor())


def mpi_ms():
    if shutil.which("mpiexec") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["mpiexec", "-n", "3", sys.executable, "-m", "mpi4py.futures", __file__, "--mpi-child"]
        run = subprocess.run(cmd, check=False, env=_mpiexec_env(tmp), capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise RuntimeError(f"the MPI run failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])["per_point_ms"]


def mpi_child():
    from mpi4py.futures import MPIPoolExecutor

    with MPIPoolExecutor() as executor:
        print(json.dumps({"per_point_ms": per_point_ms(executor)}))


def main():
    load_before = os.getloadavg()[0]
    serial_s, serial = example_on(0)
    one_s, one = example_on(1)
    two_s, two = example_on(2)
    same = [c for c in serial.columns if c not in ("elapsed_s", "worker")]
    with cf.ProcessPoolExecutor(2) as pool:
        processes = per_point_ms(pool)
    line = {
        "bench": "sweep",
        "example_points": len(serial),
        "example_serial_s": round(serial_s, 2),
        "example_1proc_s": round(one_s, 2),
        "example_2proc_s": round(two_s, 2),
        "speedup_2_over_1": round(one_s / two_s, 2),
        "speedup_2_over_serial": round(serial_s / two_s, 2),
        "tables_identical": bool(serial[same].equals(one[same]) and serial[same].equals(two[same])),
        "overhead_ms_per_point": {
            "serial": round(per_point_ms("serial"), 3),
            "processes_2": round(processes, 3),
            "dask_2_workers": None if (d := dask_ms()) is None else round(d, 3),
            "mpi_2_workers": None if (m := mpi_ms()) is None else round(m, 3),
        },
        "loadavg_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(line))


if __name__ == "__main__":
    if "--mpi-child" in sys.argv:
        mpi_child()
    else:
        main()
