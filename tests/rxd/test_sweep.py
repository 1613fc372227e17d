"""rxd.sweep: the same 8-point sweep of a tiny rxd diffusion model (with a seeded random
initial profile) serially, on local processes, on a local Dask cluster and under
``mpiexec -n 3 python -m mpi4py.futures`` gives the same table; a killed worker's point
is retried; a point that raises is recorded; a restarted sweep skips finished points.
"""

import functools
import os
import pathlib
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

import rxd
from cable import Simulation
from rxd._sweep import _atomic_write, _mpiexec_env, point_seed, sweep, sweep_points

pd = pytest.importorskip("pandas")

# d = -1 is refused by rxd.Species: the last two points raise.
PARAMS = {"d": [0.05, 0.5, 2.0, -1.0], "length": [10.0, 40.0]}  # [um2/ms], [um]
N_POINTS = 8
N_NODES = 11


def tiny_model(d, length, seed):
    """A sealed dendrite of 11 nodes with a random initial profile (from ``seed``),
    diffusing for 5 ms with the fixed step; returns its final mean, centre and spread,
    and the final profile as an array."""
    initial = np.random.default_rng(seed).random(N_NODES)  # [mM]
    sim = Simulation(dt=0.1)
    dend = sim.Section("dend", L=length, diam=1.0, nseg=N_NODES)
    region = rxd.Region([dend], nrn_region="i")
    c = rxd.Species(region, d=d, name="c", initial=lambda node: initial[int(node.x * N_NODES)])
    sim.finitialize(-65)
    sim.continuerun(5.0)
    profile = np.array([node.concentration for node in c.nodes])
    return {
        "mean_mM": profile.mean(),
        "mass_change_mM": profile.mean() - initial.mean(),
        "centre_mM": profile[N_NODES // 2],
        "spread_mM": float(np.ptp(profile)),
        "initial_spread_mM": float(np.ptp(initial)),
        "profile": profile,
    }


def tiny_model_killed_once(d, length, seed, *, marker):
    """``tiny_model``, whose worker process kills itself the first time it meets the
    point d = 0.5, length = 40 (writing its pid to ``marker`` first)."""
    if (d, length) == (0.5, 40.0) and not os.path.exists(marker):
        pathlib.Path(marker).write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return tiny_model(d, length, seed)


def comparable(table):
    """The table without what depends on where and how fast the points ran; errors by
    their last line (the exception)."""
    last_line = table["error"].map(lambda e: e.strip().splitlines()[-1] if isinstance(e, str) else None)
    return table.drop(columns=["elapsed_s", "worker", "arrays", "error"]).assign(error=last_line)


@pytest.fixture(scope="module")
def serial_table():
    return sweep(tiny_model, PARAMS, executor="serial", seed=7, progress=False)


def test_serial_table(serial_table):
    t = serial_table
    assert len(t) == N_POINTS and list(t.index) == list(range(N_POINTS))
    assert list(t.columns[:2]) == ["d", "length"]
    ok = t[t.status == "ok"]
    assert list(ok.index) == list(range(6))
    assert np.abs(ok["mass_change_mM"]).max() < 1e-12  # diffusion on a sealed cable conserves mass
    assert (ok["spread_mM"] < ok["initial_spread_mM"]).all()
    assert t["seed"].tolist() == [point_seed(p, 7) for p in sweep_points(PARAMS)]
    assert len(set(ok["initial_spread_mM"])) == 6  # every point draws its own random profile


def test_a_point_that_raises_is_recorded_with_its_parameters_and_traceback(serial_table):
    bad = serial_table[serial_table.status == "error"]
    assert bad[["d", "length"]].values.tolist() == [[-1.0, 10.0], [-1.0, 40.0]]
    assert bad["mean_mM"].isna().all()
    for error in bad["error"]:
        assert error.startswith("Traceback") and "RxdError" in error and "diffusion coefficient d" in error


def test_local_processes_give_the_same_table(serial_table):
    table = sweep(tiny_model, PARAMS, seed=7, progress=False)
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table), check_exact=True)
    assert table.loc[table.status == "ok", "worker"].nunique() >= 1


def test_local_processes_retry_the_points_of_a_killed_worker(serial_table, tmp_path):
    marker = tmp_path / "killed"
    model = functools.partial(tiny_model_killed_once, marker=str(marker))
    table = sweep(model, PARAMS, seed=7, progress=False)
    assert marker.exists()
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table), check_exact=True)


def test_a_lost_point_is_recorded_when_retries_run_out(tmp_path):
    marker = tmp_path / "killed"
    model = functools.partial(tiny_model_killed_once, marker=str(marker))
    table = sweep(model, {"d": [0.5], "length": [40.0]}, seed=7, progress=False, retries=0)
    assert table["status"].tolist() == ["error"]
    assert "BrokenProcessPool" in table["error"][0] and "outside the model" in table["error"][0]


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cloudpickle = pytest.importorskip("cloudpickle")
    module = sys.modules[tiny_model.__module__]  # not importable by name in Dask's workers
    cloudpickle.register_pickle_by_value(module)
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
    cloudpickle.unregister_pickle_by_value(module)


def test_dask_gives_the_same_table(serial_table, dask_client):
    table = sweep(tiny_model, PARAMS, executor=dask_client.get_executor(), seed=7, progress=False)
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table), check_exact=True)
    assert table.loc[table.status == "ok", "worker"].nunique() == 2


def test_dask_retries_the_point_of_a_killed_worker(serial_table, dask_client, tmp_path):
    marker = tmp_path / "killed"
    model = functools.partial(tiny_model_killed_once, marker=str(marker))
    table = sweep(model, PARAMS, executor=dask_client.get_executor(), seed=7, progress=False)
    assert marker.exists(), "no worker was killed"
    killed = f":{marker.read_text()}"
    assert len(table) == N_POINTS
    assert not table.loc[(table.d == 0.5) & (table.length == 40.0), "worker"].iloc[0].endswith(killed)
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table), check_exact=True)


MPI_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import test_sweep
from mpi4py.futures import MPIPoolExecutor
from rxd._sweep import sweep

if __name__ == "__main__":
    with MPIPoolExecutor() as executor:
        table = sweep(test_sweep.tiny_model, test_sweep.PARAMS, executor=executor, seed=7, progress=False)
    table.to_pickle({out!r})
"""


@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="mpiexec is absent (.ci/run installs Debian's mpich)")
def test_mpi_gives_the_same_table(serial_table, tmp_path):
    pytest.importorskip("mpi4py")
    out = tmp_path / "table.pkl"
    script = tmp_path / "mpi_sweep.py"
    script.write_text(MPI_SCRIPT.format(tests=str(pathlib.Path(__file__).parent), out=str(out)))
    cmd = ["mpiexec", "-n", "3", sys.executable, "-m", "mpi4py.futures", str(script)]
    run = subprocess.run(cmd, check=False, env=_mpiexec_env(tmp_path / "lib"), capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    table = pd.read_pickle(out)
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table), check_exact=True)
    assert table.loc[table.status == "ok", "worker"].nunique() == 2  # the two MPI workers (rank 0 drives)


def test_a_restarted_sweep_skips_finished_points(serial_table, tmp_path):
    calls = []

    def interrupted_at_5(d, length, seed):
        if len(calls) == 5:
            raise KeyboardInterrupt  # the sweep is stopped in the middle
        calls.append((d, length))
        return tiny_model(d, length, seed)

    with pytest.raises(KeyboardInterrupt):
        sweep(interrupted_at_5, PARAMS, executor="serial", seed=7, cache_dir=tmp_path, progress=False)
    assert len(list(tmp_path.glob("*.json"))) == 5
    calls.clear()

    def counted(d, length, seed):
        calls.append((d, length))
        return tiny_model(d, length, seed)

    table = sweep(counted, PARAMS, executor="serial", seed=7, cache_dir=tmp_path, progress=False)
    assert calls == [(2.0, 40.0), (-1.0, 10.0), (-1.0, 40.0)]  # the unfinished point and the failed ones
    pd.testing.assert_frame_equal(comparable(table), comparable(serial_table), check_exact=True)
    assert not list(tmp_path.glob("*.tmp"))
    calls.clear()
    sweep(counted, PARAMS, executor="serial", seed=7, cache_dir=tmp_path, progress=False)
    assert calls == [(-1.0, 10.0), (-1.0, 40.0)]
    sweep(counted, PARAMS, executor="serial", seed=8, cache_dir=tmp_path, progress=False)
    assert len(calls) == 2 + N_POINTS  # another root seed: other points


def test_arrays_are_saved_per_point_in_the_cache(tmp_path):
    table = sweep(tiny_model, PARAMS, executor="serial", seed=7, cache_dir=tmp_path, progress=False)
    ok = table[table.status == "ok"]
    for i, path in ok["arrays"].items():
        with np.load(path) as data:
            assert data.files == ["profile"]
            assert data["profile"].mean() == ok.loc[i, "mean_mM"]
    assert table.loc[table.status == "error", "arrays"].isna().all()
    again = sweep(tiny_model, PARAMS, executor="serial", seed=7, cache_dir=tmp_path, progress=False)
    assert again.loc[ok.index, "arrays"].tolist() == ok["arrays"].tolist()
    assert table.attrs == {"seed": 7, "cache_dir": str(tmp_path.resolve())}


def test_an_interrupted_write_leaves_no_file(tmp_path):
    def fail(f):
        f.write(b"partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _atomic_write(tmp_path / "point.json", fail)
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_counts_done_and_failed(capsys):
    sweep(tiny_model, PARAMS, executor="serial", seed=7, progress=True)
    err = capsys.readouterr().err
    assert "8/8" in err and "failed=2" in err


def test_seeds_depend_on_the_parameters_not_on_the_order():
    points = sweep_points(PARAMS)
    reordered = sweep(lambda d, length, seed: {}, points[::-1], executor="serial", seed=7, progress=False)
    assert reordered["seed"].tolist() == [point_seed(p, 7) for p in points[::-1]]
    assert point_seed(points[0], 7) != point_seed(points[0], 8)


def test_the_seed_is_passed_only_to_a_model_that_takes_it():
    table = sweep(lambda x: {"y": 2 * x}, {"x": [1, 2]}, executor="serial", progress=False)
    assert table["y"].tolist() == [2, 4] and (table.status == "ok").all()


def test_a_model_that_returns_no_dict_is_an_error_point():
    table = sweep(lambda x: [x], {"x": [1]}, executor="serial", progress=False)
    assert table["status"][0] == "error" and "must return a dict" in table["error"][0]


def test_points_from_a_list_of_dicts():
    points = [{"a": 1, "b": "x"}, {"a": np.int64(2)}]
    assert sweep_points(points) == [{"a": 1, "b": "x"}, {"a": 2}]
    table = sweep(lambda a, b="y": {"ab": f"{a}{b}"}, points, executor="serial", progress=False)
    assert table["ab"].tolist() == ["1x", "2y"] and table["b"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("params", "kwargs", "message"),
    [
        ({"d": 0.5}, {}, "must be a sequence of values"),
        ({"d": [[1, 2]]}, {}, "parameter 'd' must be a number"),
        ({"status": [1]}, {}, "reserved"),
        (42, {}, "dict of sequences"),
        ({"d": [1]}, {"seed": -1}, "seed must be an integer >= 0"),
        ({"d": [1]}, {"executor": "dask"}, "executor must be"),
        ({"d": [1]}, {"retries": 1.5}, "retries must be"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(params, kwargs, message):
    with pytest.raises(rxd.RxdError, match=message):
        sweep(tiny_model, params, progress=False, **kwargs)


def test_a_parameter_named_like_the_seed_keyword_is_refused():
    with pytest.raises(rxd.RxdError, match="seed keyword"):
        sweep(lambda rng_seed: {}, {"rng_seed": [1]}, seed_arg="rng_seed", executor="serial", progress=False)


@pytest.mark.slow
def test_the_wave_sweep_example_on_processes_matches_cawave(tmp_path):
    examples = pathlib.Path(__file__).resolve().parents[2] / "examples"
    sys.path.insert(0, str(examples))
    try:
        import cawave
        import cawave_sweep
    finally:
        sys.path.remove(str(examples))
    points = [{"gserca": 1.9565, "ip3_stim": 1.25}, {"gserca": 2.5, "ip3_stim": 1.0}]
    table = sweep(cawave_sweep.model, points, cache_dir=tmp_path, progress=False)
    assert (table.status == "ok").all()
    t, k, _ = cawave.run(tstop=cawave_sweep.TSTOP)
    up, down = cawave.wave_speed(t, k, fit=cawave_sweep.FIT)
    assert (table["speed_up_um_s"][0], table["speed_down_um_s"][0]) == (up, down)  # bit for bit
    with np.load(table["arrays"][0]) as data:
        np.testing.assert_array_equal(data["kymograph"], k)
    assert np.isnan(table["speed_up_um_s"][1])  # no wave with more SERCA and less IP3


def test_a_model_local_processes_cannot_receive_is_refused():
    with pytest.raises(rxd.RxdError, match="cannot be sent to worker processes"):
        sweep(lambda x: {}, {"x": [1]}, progress=False)
