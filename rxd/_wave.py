"""Calcium-wave measures from a kymograph: onset, duration, distance, fronts and speed.

A kymograph is a 2-D array of shape (time, node): one concentration [mM] per recorded
time and node along a dendrite. The *wave* is the largest connected region of samples
above a threshold (2e-4 mM by default; time and space neighbours, diagonals included,
labelled by ``scipy.ndimage.label``), so isolated blips elsewhere do not count. At each
time the wave's *upper front* is its outermost node towards the end of the dendrite, its
*lower front* the outermost node towards the start; the speed is the least-squares
slope of a front's position against time over a fit window.
"""

from typing import NamedTuple

import numpy as np
from scipy import ndimage

from ._errors import RxdError

__all__ = ["Fronts", "WaveSpeed", "wave_distance", "wave_duration", "wave_fronts", "wave_onset", "wave_speed"]

THRESHOLD = 2e-4  # [mM] default threshold of the suprathreshold region


class Fronts(NamedTuple):
    """Front positions of a wave, one per recorded time."""

    #: Recorded times [ms], shape (time,).
    t: np.ndarray
    #: Position of the upper front (the wave's largest position) [um], nan where there is no wave.
    upper: np.ndarray
    #: Position of the lower front (the wave's smallest position) [um], nan where there is no wave.
    lower: np.ndarray


class WaveSpeed(NamedTuple):
    """Speeds of the two fronts of a wave [um/s], positive when the wave spreads."""

    #: Speed of the upper front towards larger positions [um/s].
    up: float
    #: Speed of the lower front towards smaller positions [um/s].
    down: float


def _checked(t, kymograph, threshold):
    t = np.asarray(t, dtype=float)
    kymograph = np.asarray(kymograph, dtype=float)
    if kymograph.ndim != 2:
        raise RxdError(f"kymograph must be 2-D of shape (time, node), got shape {kymograph.shape}")
    if t.shape != (kymograph.shape[0],):
        raise RxdError(
            f"t must be 1-D with one time per kymograph row, got t of shape {t.shape} "
            f"for a kymograph of shape {kymograph.shape}"
        )
    if not np.isfinite(threshold):
        raise RxdError(f"threshold must be a finite concentration [mM], got {threshold!r}")
    return t, kymograph


def _positions(n_nodes, dx, x):
    if x is None:
        if not (np.isfinite(dx) and dx > 0):
            raise RxdError(f"dx must be a positive node spacing [um], got {dx!r}")
        return (np.arange(n_nodes) + 0.5) * dx
    x = np.asarray(x, dtype=float)
    if x.shape != (n_nodes,):
        raise RxdError(f"x must give one position [um] per kymograph column ({n_nodes}), got shape {x.shape}")
    return x


def _region(kymograph, threshold):
    """Boolean mask (time, node) of the largest connected suprathreshold region."""
    labels, count = ndimage.label(kymograph > threshold, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return labels.astype(bool)
    sizes = np.bincount(labels.ravel())[1:]
    return labels == 1 + int(np.argmax(sizes))


def wave_fronts(t, kymograph, *, threshold=THRESHOLD, dx=1.0, x=None):
    """Upper and lower front positions of the wave at every recorded time.

    Parameters
    ----------
    t : (time,) array_like [ms]
        Recorded times.
    kymograph : (time, node) array_like [mM]
        Concentration per recorded time and node.
    threshold : float [mM]
        A sample belongs to a wave when it is above this (strictly).
    dx : float [um]
        Node spacing: node ``i`` lies at ``(i + 0.5) * dx`` (segment centres).
    x : (node,) array_like [um], optional
        Node positions, instead of ``dx``.

    Returns
    -------
    Fronts
        ``t``, ``upper`` and ``lower`` [um], each of shape (time,); nan where the wave
        (the largest connected suprathreshold region) has no sample.

    Examples
    --------
    >>> t = np.arange(4.0)
    >>> k = np.zeros((4, 5)); k[1, 2] = k[2, 1:4] = k[3, :] = 1.0
    >>> wave_fronts(t, k, threshold=0.5).upper
    array([nan, 2.5, 3.5, 4.5])
    """
    t, kymograph = _checked(t, kymograph, threshold)
    pos = _positions(kymograph.shape[1], dx, x)
    region = _region(kymograph, threshold)
    present = region.any(axis=1)
    idx = np.arange(region.shape[1])
    last = np.where(region, idx, -1).max(axis=1)
    first = np.where(region, idx, region.shape[1]).min(axis=1)
    upper = np.where(present, pos[np.clip(last, 0, None)], np.nan)
    lower = np.where(present, pos[np.clip(first, None, region.shape[1] - 1)], np.nan)
    return Fronts(t, upper, lower)


def wave_onset(t, kymograph, *, threshold=THRESHOLD):
    """Time of the wave's first suprathreshold sample [ms] (nan: no wave).

    Parameters
    ----------
    t : (time,) array_like [ms]
    kymograph : (time, node) array_like [mM]
    threshold : float [mM]

    Returns
    -------
    float [ms]

    Examples
    --------
    >>> k = np.zeros((4, 3)); k[2:, 1] = 1.0
    >>> float(wave_onset([0.0, 5.0, 10.0, 15.0], k, threshold=0.5))
    10.0
    """
    t, kymograph = _checked(t, kymograph, threshold)
    present = _region(kymograph, threshold).any(axis=1)
    return float(t[present][0]) if present.any() else float("nan")


def wave_duration(t, kymograph, *, threshold=THRESHOLD):
    """Time from the wave's first to its last suprathreshold sample [ms] (nan: no wave).

    A wave still above threshold at ``t[-1]`` gets ``t[-1] - onset``: a lower bound.

    Parameters
    ----------
    t : (time,) array_like [ms]
    kymograph : (time, node) array_like [mM]
    threshold : float [mM]

    Returns
    -------
    float [ms]

    Examples
    --------
    >>> k = np.zeros((4, 3)); k[1:3, 1] = 1.0
    >>> float(wave_duration([0.0, 5.0, 10.0, 15.0], k, threshold=0.5))
    5.0
    """
    t, kymograph = _checked(t, kymograph, threshold)
    tt = t[_region(kymograph, threshold).any(axis=1)]
    return float(tt[-1] - tt[0]) if tt.size else float("nan")


def wave_distance(t, kymograph, *, threshold=THRESHOLD, dx=1.0, x=None):
    """Length of dendrite the wave covered [um]: its largest upper front minus its
    smallest lower front (node centre to node centre; nan: no wave).

    Parameters
    ----------
    t : (time,) array_like [ms]
    kymograph : (time, node) array_like [mM]
    threshold : float [mM]
    dx : float [um]
        Node spacing (node ``i`` at ``(i + 0.5) * dx``).
    x : (node,) array_like [um], optional
        Node positions, instead of ``dx``.

    Returns
    -------
    float [um]

    Examples
    --------
    >>> k = np.zeros((3, 6)); k[1, 2:4] = k[2, 1:5] = 1.0
    >>> float(wave_distance(np.arange(3.0), k, threshold=0.5, dx=2.0))
    6.0
    """
    fr = wave_fronts(t, kymograph, threshold=threshold, dx=dx, x=x)
    if np.isnan(fr.upper).all():
        return float("nan")
    return float(np.nanmax(fr.upper) - np.nanmin(fr.lower))


def _slope(t, y):
    if t.size < 2 or np.ptp(t) == 0:
        return float("nan")
    return float(np.polyfit(t, y, 1)[0])


def wave_speed(t, kymograph, *, threshold=THRESHOLD, dx=1.0, x=None, fit=None):
    """Speeds of the wave's upper and lower fronts [um/s], by least squares.

    Each speed is the least-squares slope of a front's position against time over the
    samples of the fit window where the wave exists, leaving out the samples where that
    front sits on the first or last node (it has reached the end of the dendrite). Fewer
    than two samples give nan.

    Parameters
    ----------
    t : (time,) array_like [ms]
    kymograph : (time, node) array_like [mM]
    threshold : float [mM]
    dx : float [um]
        Node spacing (node ``i`` at ``(i + 0.5) * dx``).
    x : (node,) array_like [um], optional
        Node positions, instead of ``dx``.
    fit : (float, float) [ms], optional
        Fit window ``(start, stop)``, both included; default: the whole wave.

    Returns
    -------
    WaveSpeed
        ``up`` (upper front, towards larger positions) and ``down`` (lower front,
        towards smaller positions) [um/s].

    Examples
    --------
    A front moving one 1-um node every 10 ms travels at 100 um/s each way:

    >>> t = np.arange(0.0, 50.0, 10.0)
    >>> k = np.array([[1.0 if abs(j - 10) <= i else 0.0 for j in range(21)] for i in range(5)])
    >>> [round(s, 9) for s in wave_speed(t, k, threshold=0.5)]
    [100.0, 100.0]
    """
    fr = wave_fronts(t, kymograph, threshold=threshold, dx=dx, x=x)
    pos = _positions(np.shape(kymograph)[1], dx, x)
    keep = np.isfinite(fr.upper)
    if fit is not None:
        try:
            start, stop = (float(v) for v in fit)
        except (TypeError, ValueError) as err:
            raise RxdError(f"fit must be a window (start, stop) [ms], got {fit!r}") from err
        if not start < stop:
            raise RxdError(f"fit must be a window (start, stop) [ms] with start < stop, got {fit!r}")
        keep &= (fr.t >= start) & (fr.t <= stop)
    up = keep & (fr.upper != pos.max())
    down = keep & (fr.lower != pos.min())
    ms_to_s = 1000.0  # [um/ms] -> [um/s]
    return WaveSpeed(ms_to_s * _slope(fr.t[up], fr.upper[up]), -ms_to_s * _slope(fr.t[down], fr.lower[down]))
