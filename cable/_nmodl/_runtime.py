"""Helpers that the generated mechanism code calls: NEURON's TABLE (grid, build,
linear interpolation), the per-instance store of ASSIGNED values that live from one
block to the next, the steady state of a KINETIC scheme (``SOLVE ... STEADYSTATE``),
and for events the point-process specification that knows its mod file
(:class:`ModPointProcess`) and ``net_send``.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .._errors import CableError
from .._mechanism import PointProcess

__all__ = ["table_grid", "build_table", "lookup", "store", "keep", "steady_state", "ModPointProcess", "net_send"]

_STORE_KEY = "_nmodl_store"


def table_grid(lo, hi, n):
    """The n + 1 abscissae of a TABLE ... FROM lo TO hi WITH n, accumulated as NEURON does
    (x += dx, dx = (hi - lo) / n), so that the tabulated values are the same numbers.

    Examples
    --------
    >>> table_grid(-100.0, 100.0, 4)
    array([-100.,  -50.,    0.,   50.,  100.])
    """
    lo, hi = float(lo), float(hi)
    dx = (hi - lo) / n
    x = np.empty(n + 1)
    value = lo
    for i in range(n + 1):
        x[i] = value
        value += dx
    return x


def build_table(x, values, lo, hi, n):
    """Freeze tabulated values: returns ``(table, slope, lo, 1/dx, n)``.

    Parameters
    ----------
    x : ndarray, shape (n + 1,)
        From :func:`table_grid`.
    values : tuple of float or ndarray (n + 1,)
        The tabulated quantities at x (a constant is repeated).
    lo, hi : float
        The TABLE's bounds.
    n : int
        Number of intervals.
    """
    table = np.array([np.broadcast_to(np.asarray(val, dtype=float), x.shape) for val in values])
    slope = np.diff(table, axis=1)
    table.flags.writeable = False
    slope.flags.writeable = False
    dx = (float(hi) - float(lo)) / n
    return table, slope, float(lo), 1.0 / dx, n


def lookup(table, x):
    """Linear interpolation in a table at x (array or scalar), NEURON's way: the end
    values beyond the range.

    Returns
    -------
    ndarray, shape (k,) + shape of x
    """
    tab, slope, lo, mfac, n = table
    xi = mfac * (x - lo)
    xi = np.minimum(np.maximum(xi, 0.0), float(n))
    i = np.minimum(np.asarray(xi).astype(np.intp), n - 1)
    return tab[:, i] + (xi - i) * slope[:, i]


def store(params):
    """The dict that keeps ASSIGNED values between the mechanism's functions.

    It lives in the parameter dict that the simulator passes to every function of one
    block (a workaround until the mechanism API has per-instance scratch storage).
    """
    s = params.get(_STORE_KEY)
    if s is None:
        s = params[_STORE_KEY] = {}
    return s


def keep(x):
    """A copy of a value to store: the row at v (row 0) of a quantity evaluated on
    (v, v + 0.001), and never a view of the simulator's arrays."""
    if isinstance(x, np.ndarray) and x.ndim == 2:
        return x[0].copy()
    return np.array(x, dtype=float)


def steady_state(derivative, names, v, states, params, ions, ctx, tol=1e-12, maxiter=100):
    """States with ``derivative(...) == 0`` by Newton's method (NMODL STEADYSTATE).

    Parameters
    ----------
    derivative : callable
        A generated ``derivative(v, states, params, ions, ctx)``.
    names : tuple of str
        The states solved for (a conserved state is eliminated beforehand).
    states : dict str -> ndarray (n,)
        Starting values (modified copies are returned).

    Returns
    -------
    dict str -> ndarray (n,)
    """
    x = {k: np.array(np.broadcast_to(np.asarray(states[k], dtype=float), np.shape(v)[-1:]), dtype=float) for k in names}
    for _ in range(maxiter):
        f0 = derivative(v, x, params, ions, ctx)
        F = np.array([np.broadcast_to(f0[k], x[names[0]].shape) for k in names]).T  # (n, k)
        J = np.empty(F.shape + (len(names),))
        for j, k in enumerate(names):
            h = 1e-7 * np.maximum(1.0, np.abs(x[k]))
            trial = dict(x)
            trial[k] = x[k] + h
            fj = derivative(v, trial, params, ions, ctx)
            J[:, :, j] = (np.array([np.broadcast_to(fj[m], h.shape) for m in names]).T - F) / h[:, None]
        dx = np.linalg.solve(J, -F[..., None])[..., 0]
        for j, k in enumerate(names):
            x[k] = x[k] + dx[:, j]
        if np.all(np.abs(dx) <= tol * (1.0 + np.abs(np.array([x[k] for k in names]).T))):
            break
    return x


@dataclass(frozen=True)
class ModPointProcess(PointProcess):
    """A :class:`PointProcess` translated from a mod file.

    Parameters
    ----------
    origin : str
        ``"file:line"`` of the POINT_PROCESS statement (named by errors such as a NetCon
        to a point process without NET_RECEIVE).
    net_init : callable, optional
        ``net_init(obj, weights, t)``: the INITIAL block inside NET_RECEIVE, run for each
        NetCon to ``obj`` at finitialize (``weights`` is that NetCon's weight list).
    instance_initial : callable, optional
        ``instance_initial(obj, t)``: the INITIAL block as scalar code, run per instance
        after the vectorized ``initial`` when it sends events (``net_send``, ``net_event``).
    """

    origin: str = ""
    net_init: Callable | None = None
    instance_initial: Callable | None = None


def net_send(obj, t, delay, flag, weights, where):
    """NMODL ``net_send(delay, flag)`` at time ``t`` [ms]: a self-event to ``obj`` at
    ``t + delay`` carrying ``flag`` and the weight list of the event being handled
    (None from INITIAL: zeros).

    Raises
    ------
    CableError
        For a negative or non-finite delay, naming the mod file and line ``where``.
    """
    delay = float(delay)
    if not delay >= 0.0 or not np.isfinite(delay):
        raise CableError(f"{where}: net_send with delay {delay} ms at t = {t} ms: the delay must be >= 0 and finite")
    obj.net_send_at(t + delay, flag, weights)
