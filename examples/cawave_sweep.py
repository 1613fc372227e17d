"""A 16-point sweep of the ModelDB 168874 base calcium wave: SERCA density against the
IP3 stimulus, with the wave speed drawn as a heat map.

Run (local processes, one per core):

    python examples/cawave_sweep.py --out out/cawave_sweep.png --cache out/cawave_sweep

on a Dask cluster:  python examples/cawave_sweep.py --dask tcp://scheduler:8786
under MPI:          mpiexec -n 17 python -m mpi4py.futures examples/cawave_sweep.py --mpi

Each point builds the base model of examples/cawave.py in a Simulation of its own, sets
the SERCA density ``gserca`` (maximal flux [molecules/(um2 ms)]) everywhere and raises IP3 to
``ip3_stim`` [mM] on the 4 um at the centre at 2000 ms (the base wave: gserca 1.9565,
ip3_stim 1.25). The run is shortened from the paper's 5000 ms to 3500 ms, which takes
about 30 % less time per point (model build included), and the speeds are fitted over
2500-3500 ms: the base wave gives 76.13 um/s there (70.26 um/s over 2500-5000 ms: the
wave slows as it spreads). The 2000 ms before the stimulus stay: the model is not at
rest before (stimulus at 1000 ms: 76.81 um/s; at 500 ms the base stimulus starts no
wave). Threshold of the wave measures: 2e-4 mM, as examples/cawave.py.
"""

import argparse
import pathlib
import sys

import numpy as np

from cable import Simulation, Vector
from rxd import sweep
from rxd import wave_distance, wave_duration, wave_onset, wave_speed

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import cawave  # noqa: E402

GRID = {
    "gserca": [1.6, 1.9565, 2.2, 2.5],  # SERCA density (the base model: 1.9565)
    "ip3_stim": [1.0, 1.5, 3.0, 10.0],  # [mM] IP3 raised at the centre (the base model: 1.25)
}
STIM_T = 2000.0  # [ms] time of the IP3 stimulus
TSTOP = 3500.0  # [ms]
FIT = (2500.0, 3500.0)  # [ms] fit window of the speeds


def _parameter(sim, parts, name):
    """The rxd Parameter ``name`` of the model (cawave.build returns only some)."""
    if name in parts:
        return parts[name]
    system = next(ext for ext in sim.extensions if hasattr(ext, "species"))
    return next(s for s in system.species if s.name == name)


def model(gserca=1.9565, ip3_stim=1.25, *, stim_t=STIM_T, tstop=TSTOP, fit=FIT, record_dt=5.0):
    """One run of the base wave with SERCA density ``gserca`` and IP3 stimulus
    ``ip3_stim`` [mM] at ``stim_t`` [ms], to ``tstop`` [ms]; returns its wave measures,
    and the kymograph for the cache.

    Returns
    -------
    dict
        ``speed_up_um_s``, ``speed_down_um_s`` [um/s] over ``fit`` [ms], ``onset_ms``,
        ``duration_ms``, ``distance_um``, ``peak_mM``, and the arrays ``t`` [ms] of shape
        (time,) and ``kymograph`` [mM] of shape (time, node).
    """
    sim = Simulation(dt=1.0)
    parts = cawave.build(sim)
    _parameter(sim, parts, "gserca").initial = gserca
    sim.cvode.active(1)
    sim.cvode.atol(1e-6)
    vecs = [Vector().record(n._ref_concentration, record_dt) for n in parts["ca"][parts["cyt"]].nodes]
    tvec = sim.record_t(record_dt)
    sim.finitialize(-65)
    length = parts["dend"].L
    for node in parts["gip3r"].nodes:  # IP3R hot spots, as in cawave.run
        if any(abs(node.x * length - (500.0 + 20.0 * k)) < 5.0 for k in range(-24, 25)):
            node.value = 120400.0
    parts["ca"][parts["er"]].concentration = (0.0017 - 1e-4 * 0.83) / 0.17
    sim.cvode.re_init()
    stim_nodes = [n for n in parts["ip3"].nodes if 498 < n.x * length < 502]

    def stimulate():
        for n in stim_nodes:
            n.concentration = ip3_stim
        sim.cvode.re_init()

    sim.cvode.event(stim_t, stimulate)
    sim.continuerun(tstop)
    t = tvec.as_numpy().copy()
    kymograph = np.array([v.as_numpy() for v in vecs]).T
    up, down = wave_speed(t, kymograph, fit=fit)
    return {
        "speed_up_um_s": up,
        "speed_down_um_s": down,
        "onset_ms": wave_onset(t, kymograph),
        "duration_ms": wave_duration(t, kymograph),
        "distance_um": wave_distance(t, kymograph),
        "peak_mM": float(kymograph.max()),
        "t": t,
        "kymograph": kymograph,
    }


def heat_map(table, path):
    """Draw the mean of the two front speeds over the grid; nan (no wave) in grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    speed = (table["speed_up_um_s"] + table["speed_down_um_s"]) / 2
    grid = speed.to_numpy().reshape(len(GRID["gserca"]), len(GRID["ip3_stim"])).T  # rows: ip3_stim
    fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("0.8")
    im = ax.imshow(np.ma.masked_invalid(grid), origin="lower", cmap=cmap, aspect="auto")
    for (row, col), value in np.ndenumerate(grid):
        text = "no wave" if np.isnan(value) else f"{value:.1f}"
        dark = not np.isnan(value) and im.norm(value) < 0.6
        ax.text(col, row, text, ha="center", va="center", color="w" if dark else "k")
    ax.set_xticks(range(len(GRID["gserca"])), [f"{g:g}" for g in GRID["gserca"]])
    ax.set_yticks(range(len(GRID["ip3_stim"])), [f"{s:g}" for s in GRID["ip3_stim"]])
    ax.set_xlabel("SERCA density gserca")
    ax.set_ylabel("IP3 stimulus (mM)")
    ax.set_title(f"Ca wave speed (um/s), fit {FIT[0]:.0f}-{FIT[1]:.0f} ms")
    fig.colorbar(im, ax=ax, label="mean front speed (um/s)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("out/cawave_sweep.png"))
    parser.add_argument("--cache", type=pathlib.Path, help="directory of finished points (restartable)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local processes (default: one per core)")
    where.add_argument("--serial", action="store_true", help="one point after another, in this process")
    where.add_argument("--dask", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://host:8786")
    where.add_argument("--mpi", action="store_true", help="MPI workers (mpiexec ... python -m mpi4py.futures)")
    args = parser.parse_args()
    kwargs = {"seed": 0, "cache_dir": args.cache}
    if args.dask:
        import cloudpickle
        from dask.distributed import Client

        cloudpickle.register_pickle_by_value(cawave)  # the workers need not find examples/cawave.py
        with Client(args.dask) as client:
            table = sweep(model, GRID, executor=client.get_executor(), **kwargs)
    elif args.mpi:
        from mpi4py.futures import MPIPoolExecutor

        with MPIPoolExecutor() as executor:
            table = sweep(model, GRID, executor=executor, **kwargs)
    elif args.workers:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers) as executor:
            table = sweep(model, GRID, executor=executor, **kwargs)
    else:
        table = sweep(model, GRID, executor="serial" if args.serial else None, **kwargs)
    for error in table["error"].dropna():
        print(error, file=sys.stderr)
    if (table["status"] != "ok").all():
        sys.exit(f"every point failed (tracebacks above); nothing to draw in {args.out}")
    print(table.drop(columns=["error", "seed", "worker", "arrays"]).to_string(float_format=lambda v: f"{v:.6g}"))
    heat_map(table, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
