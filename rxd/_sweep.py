"""Parameter sweeps and ensembles on any ``concurrent.futures.Executor``.

:func:`sweep` calls ``model_fn(**point)`` for every point of a grid or list of
parameter dicts on local processes (default), in this process (``"serial"``), on a Dask
cluster (``Client(...).get_executor()``) or on MPI (``mpi4py.futures.MPIPoolExecutor``),
and gathers a pandas table. Each point gets a seed derived from one root seed and a hash
of its parameters, so a sweep gives the same table on every executor. With a cache
directory each finished point is written atomically as it arrives, and a restarted sweep
skips the finished points.

pandas and tqdm are imported only when a sweep runs, so ``import rxd`` stays light.
"""

import concurrent.futures as cf
import hashlib
import inspect
import itertools
import json
import math
import numbers
import os
import pathlib
import socket
import tempfile
import time
import traceback
from collections.abc import Mapping

import numpy as np

from ._errors import RxdError

__all__ = ["point_seed", "sweep", "sweep_points"]

#: Columns the sweep adds after the parameters and metrics.
RESERVED = ("seed", "status", "error", "elapsed_s", "worker", "arrays")


def _scalar(value, what):
    """A JSON scalar (bool, int, float, str or None) from ``value``, numpy scalars included."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise RxdError(
        f"{what} must be a number, a string, a bool or None, got {value!r} ({type(value).__name__}); "
        "pass arrays as several points, or return them as numpy arrays (saved in cache_dir)"
    )


def sweep_points(params):
    """The list of points (parameter dicts) a sweep runs, in order.

    Parameters
    ----------
    params : dict of sequences, or sequence of dicts
        A dict ``{name: values}`` is a grid: the Cartesian product of the values, the
        last name varying fastest. A sequence of dicts lists the points themselves.
        Values are numbers, strings, bools or None.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> sweep_points({"a": [1, 2], "b": [0.5]})
    [{'a': 1, 'b': 0.5}, {'a': 2, 'b': 0.5}]
    """
    if isinstance(params, Mapping):
        axes = {}
        for name, values in params.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise RxdError(
                    f"params[{name!r}] must be a sequence of values for a grid, got {values!r}; "
                    f"write {{{name!r}: [{values!r}]}} for a single value"
                )
            axes[name] = list(values)
        points = [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]
    else:
        try:
            points = [dict(p) for p in params]
        except (TypeError, ValueError) as err:
            raise RxdError(f"params must be a dict of sequences (a grid) or a sequence of dicts, got {params!r}") from err
    for i, point in enumerate(points):
        for name, value in point.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise RxdError(f"point {i}: parameter names must be Python identifiers, got {name!r}")
            if name in RESERVED:
                raise RxdError(f"point {i}: {name!r} is a column the sweep adds; rename the parameter (reserved: {RESERVED})")
            point[name] = _scalar(value, f"point {i}: parameter {name!r}")
    return points


def _digest(obj):
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).digest()


def point_seed(point, root_seed):
    """The seed of one point: its parameters' hash spawned from the root seed.

    ``numpy.random.SeedSequence(root_seed, spawn_key=...)`` with the spawn key made of
    the first 16 bytes of the SHA-256 of the point's parameters as sorted JSON, so the
    seed depends on the parameters and the root seed only (not on the point's place in
    the sweep, nor on where it runs). Give replicates of one parameter set a parameter
    of their own (``replicate=range(10)``) to make their seeds differ.

    Parameters
    ----------
    point : dict
        The point's parameters.
    root_seed : int
        The sweep's root seed (>= 0).

    Returns
    -------
    int
        A seed in [0, 2**64), for ``numpy.random.default_rng(seed)``.

    Examples
    --------
    >>> point_seed({"a": 1}, 0) == point_seed({"a": 1}, 0) != point_seed({"a": 2}, 0)
    True
    """
    words = np.frombuffer(_digest(point)[:16], dtype="<u4")
    ss = np.random.SeedSequence(root_seed, spawn_key=tuple(int(w) for w in words))
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def _point_key(point, root_seed):
    """File name stem of a point in the cache directory."""
    return _digest({"params": point, "seed": root_seed}).hex()[:24]


def _run_point(model_fn, point, seed, seed_arg):
    """Run one point (in a worker); never raises for the model's own errors."""
    t0 = time.perf_counter()
    out = {"metrics": {}, "arrays": {}, "error": None, "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        kwargs = dict(point, **({seed_arg: seed} if seed_arg else {}))
        result = model_fn(**kwargs)
        if result is None:
            result = {}
        if not isinstance(result, Mapping):
            raise RxdError(f"the model must return a dict of metrics (and arrays), got {type(result).__name__}")
        for name, value in result.items():
            if isinstance(value, np.ndarray) and value.ndim > 0:
                out["arrays"][str(name)] = value
            else:
                if name in point or name in RESERVED:
                    raise RxdError(f"the model returned {name!r}, which is a parameter or a reserved column; rename it")
                out["metrics"][str(name)] = _scalar(value, f"metric {name!r}")
    except Exception:
        out.update(metrics={}, arrays={}, error=traceback.format_exc())
    out["elapsed_s"] = time.perf_counter() - t0
    return out


def _atomic_write(path, write):
    """Write ``path`` through ``write(file)`` into a temporary file beside it, then rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


class _Cache:
    """Finished points of one sweep: ``<key>.npz`` (arrays) then ``<key>.json`` (record)."""

    def __init__(self, cache_dir):
        self.dir = pathlib.Path(cache_dir).resolve()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise RxdError(f"cache_dir {str(cache_dir)!r} cannot be created ({err}); give a writable directory") from err

    def load(self, key, point):
        """The record of a finished point, or None."""
        path = self.dir / f"{key}.json"
        if not path.exists():
            return None
        record = json.loads(path.read_text())
        if record.get("params") != point or record.get("status") != "ok":
            return None
        if record["arrays"] is not None:
            record["arrays"] = str(self.dir / record["arrays"])
        return record

    def store(self, key, record, arrays):
        """Write a finished point (its arrays first: the record marks it finished)."""
        name = None
        if arrays:
            name = f"{key}.npz"
            _atomic_write(self.dir / name, lambda f: np.savez(f, **arrays))
        text = json.dumps(dict(record, arrays=name), allow_nan=True).encode()
        _atomic_write(self.dir / f"{key}.json", lambda f: f.write(text))
        record["arrays"] = None if name is None else str(self.dir / name)


def _record(point, seed, out):
    return {
        "params": point,
        "metrics": out["metrics"],
        "seed": seed,
        "status": "ok" if out["error"] is None else "error",
        "error": out["error"],
        "elapsed_s": out["elapsed_s"],
        "worker": out["worker"],
        "arrays": None,
    }


def _lost(err, attempts):
    """The worker output of a point whose call itself failed (worker killed, pickling, ...)."""
    text = "".join(traceback.format_exception(err))
    error = f"the point failed {attempts} time(s) outside the model:\n{text}"
    return {"metrics": {}, "arrays": {}, "error": error, "elapsed_s": math.nan, "worker": None}


def _table(points, records, attrs):
    import pandas as pd

    params, metrics = {}, {}
    for i in range(len(points)):
        params.update(dict.fromkeys(records[i]["params"]))
        metrics.update(dict.fromkeys(records[i]["metrics"]))
    rows = []
    for i in range(len(points)):
        r = records[i]
        rows.append({**r["params"], **r["metrics"], **{c: r[c] for c in RESERVED}})
    table = pd.DataFrame(rows, columns=[*params, *metrics, *RESERVED], index=pd.RangeIndex(len(points), name="point"))
    table["seed"] = table["seed"].astype("uint64")
    table.attrs.update(attrs)
    return table


def _check_picklable(model_fn):
    """Refuse a model that local processes cannot receive, before anything runs."""
    import pickle

    try:
        pickle.dumps(model_fn)
    except (pickle.PicklingError, AttributeError, TypeError) as err:
        raise RxdError(
            f"model_fn {model_fn!r} cannot be sent to worker processes ({err}); define it at the top level "
            "of a module or script, or pass executor='serial'"
        ) from err


def _accepts(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class _NoBar:
    """Stands for the progress bar when there is none."""

    def set_postfix(self, **kwargs):
        pass

    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(enabled, total, initial):
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=initial, desc="sweep", unit="point", dynamic_ncols=True)
    bar.set_postfix(failed=0)
    return bar


def sweep(model_fn, params, *, executor=None, seed=0, cache_dir=None, progress=True, retries=2, seed_arg="seed"):
    """Run ``model_fn(**point)`` for every point and gather the results in a table.

    Parameters
    ----------
    model_fn : callable
        The model: takes the point's parameters as keywords (and ``seed``, see
        ``seed_arg``) and returns a dict. Its scalar values (numbers, strings, bools,
        None) are metrics, one table column each; its numpy arrays of one or more
        dimensions are saved per point in ``cache_dir`` (dropped without it). It must
        build everything it uses (a new ``cable.Simulation``), and be picklable by the
        executor: a module-level function, or one in the script that runs the sweep.
    params : dict of sequences, or sequence of dicts
        A grid ``{name: values}`` (Cartesian product, last name fastest) or the points
        themselves (see :func:`sweep_points`).
    executor : concurrent.futures.Executor or "serial", optional
        Where the points run: default, local processes (one per core, made and shut
        down by the sweep); ``"serial"``, one after another in this process; or any
        executor, e.g. ``dask.distributed.Client(...).get_executor()`` or
        ``mpi4py.futures.MPIPoolExecutor()``, which the sweep leaves open.
    seed : int
        Root seed (>= 0); each point's seed is :func:`point_seed` of its parameters.
    cache_dir : str or pathlib.Path, optional
        Directory of finished points: each point, as soon as it finishes, is written
        there (``<key>.json`` with its metrics, ``<key>.npz`` with its arrays), each
        file through a temporary file and a rename, so a sweep stopped at any moment
        loses no finished point; run again with the same directory, the sweep skips
        them and reruns the rest (failed points included). Keys depend on the
        parameters and the root seed only: use a new directory when the model changes.
    progress : bool
        Show a tqdm bar (points done, failed, and the estimated time left).
    retries : int
        With the default executor, times a point is resubmitted after its worker
        process died (the pool is then rebuilt). Dask resubmits by itself; other
        executors' lost points are recorded as errors.
    seed_arg : str or None
        Name of the keyword through which ``model_fn`` gets its seed, passed only when
        ``model_fn`` has a parameter of that name.

    Returns
    -------
    pandas.DataFrame
        One row per point (index ``point``, in the order of ``params``): the
        parameters, the metrics, then ``seed``, ``status`` ("ok" or "error"),
        ``error`` (the traceback, or None), ``elapsed_s`` [s] (the model's wall time),
        ``worker`` ("host:pid") and ``arrays`` (path of the point's ``.npz``, or None).
        A point that raised has its parameters, seed and traceback, and no metrics.
        ``table.attrs`` holds ``seed`` and ``cache_dir``.

    Raises
    ------
    RxdError
        For a bad parameter, seed, executor or cache directory, before anything runs.

    Examples
    --------
    >>> def model(a, b, seed):
    ...     return {"total": a + b, "noise": np.random.default_rng(seed).random()}
    >>> table = sweep(model, {"a": [1, 2], "b": [10]}, executor="serial", progress=False)
    >>> table[["a", "b", "total", "status"]].values.tolist()
    [[1, 10, 11, 'ok'], [2, 10, 12, 'ok']]
    """
    if not callable(model_fn):
        raise RxdError(f"model_fn must be callable, got {model_fn!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise RxdError(f"seed must be an integer >= 0 (the root seed), got {seed!r}")
    if isinstance(retries, bool) or not isinstance(retries, numbers.Integral) or retries < 0:
        raise RxdError(f"retries must be an integer >= 0, got {retries!r}")
    if not (executor is None or executor == "serial" or isinstance(executor, cf.Executor)):
        raise RxdError(f"executor must be None, 'serial' or a concurrent.futures.Executor, got {executor!r}")
    if executor is None:
        _check_picklable(model_fn)
    seed = int(seed)
    points = sweep_points(params)
    seed_arg = seed_arg if seed_arg and _accepts(model_fn, seed_arg) else None
    if seed_arg and any(seed_arg in p for p in points):
        raise RxdError(f"{seed_arg!r} is both a parameter and the model's seed keyword; rename one or set seed_arg")
    seeds = [point_seed(p, seed) for p in points]
    keys = [_point_key(p, seed) for p in points]
    cache = _Cache(cache_dir) if cache_dir is not None else None
    records = {}
    if cache is not None:
        for i, p in enumerate(points):
            record = cache.load(keys[i], p)
            if record is not None:
                records[i] = record
    attrs = {"seed": seed, "cache_dir": None if cache is None else str(cache.dir)}
    _run_all(model_fn, points, seeds, keys, records, cache, executor, retries, seed_arg, progress)
    return _table(points, records, attrs)


def _outcomes(ex, model_fn, points, seeds, seed_arg, pending):
    """(index, worker output or None, exception or None) of each pending point, as they
    finish, after one (None, None, None) once all are submitted; ``ex == "serial"`` runs
    each point in this process when its turn comes."""
    if ex == "serial":
        yield None, None, None
        for i in pending:
            yield i, _run_point(model_fn, points[i], seeds[i], seed_arg), None
        return
    futures = {ex.submit(_run_point, model_fn, points[i], seeds[i], seed_arg): i for i in pending}
    yield None, None, None  # all submitted
    for future in cf.as_completed(futures):
        try:
            yield futures[future], future.result(), None
        except Exception as err:
            yield futures[future], None, err


def _run_all(model_fn, points, seeds, keys, records, cache, executor, retries, seed_arg, progress):
    """Run every unfinished point and store each result as it arrives."""
    own = executor is None
    ex = cf.ProcessPoolExecutor() if own else executor
    pending = [i for i in range(len(points)) if i not in records]
    attempts = dict.fromkeys(pending, 0)
    failed, bar = 0, None
    try:
        while pending:
            outcomes = _outcomes(ex, model_fn, points, seeds, seed_arg, pending)
            pending = []
            for i, out, err in outcomes:
                if bar is None:  # made after the submissions: worker processes start before tqdm's thread
                    bar = _progress_bar(progress, len(points), len(records))
                if i is None:
                    continue
                if err is not None:
                    attempts[i] += 1
                    if own and isinstance(err, cf.BrokenExecutor) and attempts[i] <= retries:
                        pending.append(i)
                        continue
                    out = _lost(err, attempts[i])
                records[i] = _record(points[i], seeds[i], out)
                if cache is not None and out["error"] is None:
                    cache.store(keys[i], records[i], out["arrays"])
                failed += out["error"] is not None
                bar.set_postfix(failed=failed, refresh=False)
                bar.update(1)
            if pending:
                ex.shutdown(wait=True)
                ex = cf.ProcessPoolExecutor()
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()


def _mpiexec_env(link_dir):
    """Environment for ``mpiexec ... python -m mpi4py.futures`` on this machine.

    mpi4py's PyPI wheel loads the MPICH ABI as ``libmpi.so.12``; Debian's MPICH names
    the same library ``libmpich.so.12``. When only the latter exists, a link
    ``libmpi.so.12`` to it is made in ``link_dir`` and put first on LD_LIBRARY_PATH.
    (A cluster's own MPI with mpi4py built against it needs none of this.) Used by the
    tests and the bench.
    """
    import ctypes
    import sysconfig

    env = dict(os.environ)
    # Open MPI's mpiexec refuses root and more ranks than cores unless told (MPICH ignores these).
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    try:
        ctypes.CDLL("libmpi.so.12")
        return env
    except OSError:
        pass
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    dirs = [*env.get("LD_LIBRARY_PATH", "").split(os.pathsep), f"/usr/lib/{multiarch}", "/usr/lib64", "/usr/lib"]
    for d in filter(None, dirs):
        lib = pathlib.Path(d) / "libmpich.so.12"
        if lib.exists():
            link = pathlib.Path(link_dir) / "libmpi.so.12"
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(lib)
            env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(link.parent), env.get("LD_LIBRARY_PATH")]))
            return env
    return env
