"""Per-segment geometry of a section, from its 3-D points or from L and diam.

This reproduces what NEURON 9 computes for a section (``seg.area()``,
``seg.volume()``, ``seg.diam``, ``seg.ri()``), written from a reading of its
documented behaviour and of the algorithm in ``nrnoc/treeset.cpp``
(``nrn_area_ri``) and ``nrnpython/nrnpy_nrn.cpp`` (``seg_volume``), checked
against NEURON itself (``tests/reference/make_pt3d_refs.py``).

Rules for a section with n >= 2 3-D points (NEURON's, reproduced here):

* Storage: NEURON keeps x, y, z and diam of every 3-D point as C ``float``
  (single precision); the arc length of point i is
  ``arc[i-1] + sqrt(dx*dx + dy*dy + dz*dz)`` in double precision, where each
  difference ``dx`` is taken in single precision. ``L`` is ``arc[-1]``.
  ``float32_points=True`` (default) does the same so results agree with
  NEURON to rounding; ``False`` keeps the inputs in double precision.
* The diameter is piecewise linear in arc length between the points; two
  points at the same place with different diameters make a step.
* Segment i spans ``[i, i+1] * L/nseg``; it is cut in two halves at its
  centre, and each half is cut at every 3-D point inside it, giving frusta
  (pieces). A 3-D point exactly on a half boundary belongs to the earlier half.
  Per piece of length ``dl`` and end diameters ``d1``, ``d2``:

  - diameter integral ``(d1 + d2) / 2 * dl`` (``seg.diam`` is its segment
    total divided by ``L/nseg``: the mean of the interpolated diameter);
  - lateral area ``pi (d1 + d2) / 2 * sqrt(dl'^2 + ((d2 - d1)/2)^2)``;
  - resistance integral ``4/pi * dl' / (d1 d2)``, the exact integral of
    ``4 / (pi d(s)^2)`` over a linear taper; if ``d1 * d2 == 0`` the piece
    contributes ``4/pi * 1e15`` instead;

  where ``dl' = max(dl, 1e-15)``. So a diameter step (zero-length piece) adds
  the annulus ``pi/4 |d2^2 - d1^2|`` to the area of the half that holds it
  and (almost) nothing to the resistance.
* Volume (``seg.volume()``) sums frustum volumes
  ``pi/12 * dl * (d1^2 + d1 d2 + d2^2)`` over the pieces of the whole segment
  (split at the 3-D points only, not at the centre); steps add nothing.

Stylized sections (no 3-D points) are right circular cylinders per segment:
area ``pi d L/nseg``, volume ``pi d^2/4 L/nseg`` and half resistance
integral ``(L/nseg/2) / (pi d^2/4)``.

The axial resistance [MOhm] between the centres of segments i and i+1 is
``Ra * 1e-2 * (r_half_right[i] + r_half_left[i+1])`` with Ra in [ohm cm]
(ohm cm * um / um^2 = 1e4 ohm = 1e-2 MOhm); NEURON's ``seg.ri()`` for
segment i is that value with i-1 (and ``Ra * 1e-2 * r_half_left[0]`` for
segment 0 of a root section), and ``sec(1).ri()`` is
``Ra * 1e-2 * r_half_right[-1]``.
"""

from typing import NamedTuple
import operator

import numpy as np

from ._errors import GeometryError

__all__ = ["SegmentGeometry", "segment_geometry", "stylized_geometry"]

#: NEURON's largest nseg (a C short).
_NSEG_MAX = 32767
#: NEURON's floor on piece length in the area and resistance integrals [um].
_MIN_PIECE = 1e-15
#: NEURON's stand-in for d1*d2/dl when a piece has a zero diameter end [um].
_ZERO_CONDUCTANCE = 1e-15
#: Two points closer than this [um] are interpolated as a step (NEURON's rule).
_SAME_ARC = 1e-10


class SegmentGeometry(NamedTuple):
    """Per-segment geometry of one section.

    Attributes
    ----------
    L : float [um]
        Section length (arc length of the 3-D points).
    area : ndarray, shape (nseg,) [um2]
        Lateral membrane area of each segment (``seg.area()``).
    volume : ndarray, shape (nseg,) [um3]
        Volume of each segment (``seg.volume()``).
    diam : ndarray, shape (nseg,) [um]
        Diameter NEURON reports for ``seg.diam`` (mean diameter over the segment).
    r_half_left : ndarray, shape (nseg,) [1/um]
        Integral of ``4 / (pi d(s)^2) ds`` over the left half of each segment.
    r_half_right : ndarray, shape (nseg,) [1/um]
        Same over the right half of each segment.
    """

    L: float
    area: np.ndarray
    volume: np.ndarray
    diam: np.ndarray
    r_half_left: np.ndarray
    r_half_right: np.ndarray


def _check_nseg(nseg):
    if isinstance(nseg, (bool, np.bool_)):
        raise GeometryError(f"nseg must be an integer, got {nseg!r}")
    try:
        n = operator.index(nseg)
    except TypeError:
        raise GeometryError(f"nseg must be an integer, got {nseg!r}") from None
    if not 1 <= n <= _NSEG_MAX:
        raise GeometryError(f"nseg must be in 1..{_NSEG_MAX}, got nseg={n}")
    return n


def _as_vector(name, values):
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise GeometryError(f"{name} must be numbers, got {values!r}") from None
    if a.ndim != 1:
        raise GeometryError(f"{name} must be 1-D, got shape {a.shape}")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise GeometryError(f"{name}[{bad[0]}] = {a[bad[0]]} is not finite")
    return a


def _arc_lengths(x, y, z, float32_points):
    """Cumulative arc length at each point [um], as NEURON forms it."""
    if float32_points:
        # Differences of the stored floats are taken in single precision.
        parts = [np.diff(c.astype(np.float32)).astype(np.float64) for c in (x, y, z)]
    else:
        parts = [np.diff(c) for c in (x, y, z)]
    t1, t2, t3 = parts
    step = np.sqrt(t1 * t1 + t2 * t2 + t3 * t3)
    arc = np.empty(x.size)
    arc[0] = 0.0
    np.cumsum(step, out=arc[1:])  # sequential, like arc[i] = arc[i-1] + step
    return arc


def _pieces_by_half(arc, d, bounds):
    """The pieces NEURON integrates, in order: returns x1, y1, x2, y2, half index.

    ``bounds[k]`` is the right end of half k. Interior points (not the first,
    not the last) lie in the first half whose right end is >= their arc; the
    end of each half is interpolated on the piece from the last interior point
    reached to the next point.
    """
    npt = arc.size
    nhalf = bounds.size
    interior = np.arange(1, npt - 1)
    half_of_pt = np.searchsorted(bounds, arc[interior], side="left")
    keep = half_of_pt < nhalf  # points beyond the last bound (round-off) are never reached
    interior, half_of_pt = interior[keep], half_of_pt[keep]

    # last point reached by the end of half k (points are reached in order 1, 2, ...)
    j = np.searchsorted(half_of_pt, np.arange(nhalf), side="right")
    jp = j + 1
    span = arc[jp] - arc[j]
    same = np.abs(span) < _SAME_ARC
    frac = np.where(same, 1.0, (bounds - arc[j]) / np.where(same, 1.0, span))
    y_end = (1.0 - frac) * d[j] + frac * d[jp]

    # merge interior points and half ends, ordered by (half, point before end)
    key = np.concatenate([half_of_pt * (npt + 1) + interior, np.arange(nhalf) * (npt + 1) + npt])
    order = np.argsort(key, kind="stable")
    xs = np.concatenate([[arc[0]], np.concatenate([arc[interior], bounds])[order]])
    ys = np.concatenate([[d[0]], np.concatenate([d[interior], y_end])[order]])
    hs = np.concatenate([half_of_pt, np.arange(nhalf)])[order]
    return xs[:-1], ys[:-1], xs[1:], ys[1:], hs


def _interp(x0, x1, y0, y1, x):
    """Line through (x0, y0), (x1, y1) at x; y0 where x0 == x1."""
    same = x1 == x0
    return np.where(same, y0, y0 + (y1 - y0) * (x - x0) / np.where(same, 1.0, x1 - x0))


def _segment_volumes(arc, d, nseg):
    """``seg.volume()`` of every segment [um3], frusta split at the 3-D points."""
    npt = arc.size
    length = arc[-1] / nseg
    segs = np.arange(nseg)
    left = segs * length
    right = (segs + 1) * length
    # last point with arc < left (0 if none); first point with arc >= right (npt if none)
    il = np.maximum(np.searchsorted(arc, left, side="left") - 1, 0)
    ie = np.searchsorted(arc, right, side="left")
    d_left = _interp(arc[il], arc[il + 1], d[il], d[il + 1], left)

    # interior points il+1 .. ie-1 of each segment, flattened
    counts = ie - (il + 1)
    seg_of_pt = np.repeat(segs, counts)
    starts = np.cumsum(counts) - counts
    pts = (il + 1)[seg_of_pt] + np.arange(seg_of_pt.size) - starts[seg_of_pt]

    # closing node at the right end, interpolated from the node before it
    has_end = ie < npt
    last_pt = ie - 1
    prev_x = np.where(counts > 0, arc[last_pt], left)
    prev_y = np.where(counts > 0, d[last_pt], d_left)
    ie_c = np.minimum(ie, npt - 1)
    d_right = _interp(prev_x, arc[ie_c], prev_y, d[ie_c], right)

    end_segs = segs[has_end]
    seg_id = np.concatenate([segs, seg_of_pt, end_segs])
    rank = np.concatenate([np.zeros(nseg), 1.0 + pts, np.full(end_segs.size, npt + 1.0)])
    xs = np.concatenate([left, arc[pts], right[has_end]])
    ys = np.concatenate([d_left, d[pts], d_right[has_end]])
    order = np.lexsort((rank, seg_id))
    seg_id, xs, ys = seg_id[order], xs[order], ys[order]

    same_seg = seg_id[1:] == seg_id[:-1]
    dl = (xs[1:] - xs[:-1])[same_seg]
    d1, d2 = ys[:-1][same_seg], ys[1:][same_seg]
    scaled = dl * (d1 * d1 + d1 * d2 + d2 * d2)
    return np.bincount(seg_id[1:][same_seg], weights=scaled, minlength=nseg) * (np.pi / 12)


def segment_geometry(x, y, z, diam, nseg, *, float32_points=True):
    """Per-segment geometry of a section defined by 3-D points, as NEURON 9.

    Parameters
    ----------
    x, y, z : array_like, shape (n,) [um]
        Coordinates of the 3-D points, n >= 2, in order along the section.
    diam : array_like, shape (n,) [um]
        Diameter at each point, >= 0. Two consecutive points at the same
        place with different diameters make a diameter step.
    nseg : int
        Number of segments, 1..32767.
    float32_points : bool, optional
        Round the points to single precision first and form arc lengths the
        way NEURON does (it stores 3-D points as C floats). Default True.

    Returns
    -------
    SegmentGeometry
        ``L`` [um], and per segment ``area`` [um2], ``volume`` [um3],
        ``diam`` [um], ``r_half_left`` and ``r_half_right`` [1/um].

    Raises
    ------
    GeometryError
        Fewer than 2 points, arrays of different lengths or not 1-D,
        non-finite values, a negative diameter, a section of zero length,
        or nseg not an integer in 1..32767.

    Notes
    -----
    See the module docstring for the exact rules. The axial resistance
    between the centres of segments i and i+1 is
    ``Ra * 1e-2 * (r_half_right[i] + r_half_left[i+1])`` [MOhm] with Ra in
    [ohm cm]. A zero diameter at a point gives its pieces a resistance
    integral of ``4/pi * 1e15`` [1/um] each (NEURON's stand-in for infinity).
    """
    nseg = _check_nseg(nseg)
    x, y, z, diam = (_as_vector(n, v) for n, v in (("x", x), ("y", y), ("z", z), ("diam", diam)))
    sizes = {"x": x.size, "y": y.size, "z": z.size, "diam": diam.size}
    if len(set(sizes.values())) != 1:
        raise GeometryError(f"x, y, z and diam must have the same length, got {sizes}")
    if x.size < 2:
        raise GeometryError(f"a section needs at least 2 3-D points, got {x.size}")
    neg = np.flatnonzero(diam < 0)
    if neg.size:
        raise GeometryError(f"diam[{neg[0]}] = {diam[neg[0]]} is negative")
    if float32_points:
        with np.errstate(over="ignore"):
            stored = [c.astype(np.float32) for c in (x, y, z, diam)]
        for name, c in zip(("x", "y", "z", "diam"), stored):
            bad = np.flatnonzero(~np.isfinite(c))
            if bad.size:
                raise GeometryError(f"{name}[{bad[0]}] overflows single precision")
        d = stored[3].astype(np.float64)
    else:
        d = diam
    arc = _arc_lengths(x, y, z, float32_points)
    L = float(arc[-1])
    if not L > 0:
        raise GeometryError(f"the 3-D points span zero length (L = {L}); they must not all coincide")

    ds = L / nseg
    i = np.arange(nseg)
    mid = i * ds + ds / 2
    bounds = np.empty(2 * nseg)
    bounds[0::2] = mid
    bounds[1::2] = mid + ds / 2

    x1, y1, x2, y2, half = _pieces_by_half(arc, d, bounds)
    seg = half // 2
    dl = x2 - x1
    diam_sum = np.bincount(seg, weights=(y2 + y1) * dl, minlength=nseg)
    dl = np.where(dl < _MIN_PIECE, _MIN_PIECE, dl)
    g = y2 * y1 / dl
    g = np.where(g == 0, _ZERO_CONDUCTANCE, g)
    r_sum = np.bincount(half, weights=1 / g, minlength=2 * nseg)
    taper = 0.5 * (y2 - y1)
    area_sum = np.bincount(seg, weights=(y2 + y1) * np.sqrt(dl * dl + taper * taper), minlength=nseg)

    r_half = r_sum / np.pi * 4
    return SegmentGeometry(
        L=L,
        area=area_sum * 0.5 * np.pi,
        volume=_segment_volumes(arc, d, nseg),
        diam=diam_sum * (0.5 / ds),
        r_half_left=r_half[0::2],
        r_half_right=r_half[1::2],
    )


def stylized_geometry(L, diam, nseg):
    """Per-segment geometry of a section without 3-D points (cylinders), as NEURON 9.

    Parameters
    ----------
    L : float [um]
        Section length, > 0.
    diam : float or array_like, shape (nseg,) [um]
        Diameter of every segment (scalar) or of each segment, > 0.
    nseg : int
        Number of segments, 1..32767.

    Returns
    -------
    SegmentGeometry
        ``L`` [um]; per segment ``area = pi d L/nseg`` [um2],
        ``volume = pi d^2/4 L/nseg`` [um3], ``diam`` [um] and
        ``r_half_left = r_half_right = (L/nseg/2) / (pi d^2/4)`` [1/um].

    Raises
    ------
    GeometryError
        L not a positive finite number, a diameter <= 0 or not finite,
        diam of the wrong shape, or nseg not an integer in 1..32767.
    """
    nseg = _check_nseg(nseg)
    try:
        L = float(L)
    except (TypeError, ValueError):
        raise GeometryError(f"L must be a number, got {L!r}") from None
    if not (np.isfinite(L) and L > 0):
        raise GeometryError(f"L must be positive and finite, got L = {L}")
    try:
        d = np.asarray(diam, dtype=np.float64)
    except (TypeError, ValueError):
        raise GeometryError(f"diam must be numbers, got {diam!r}") from None
    if d.ndim == 0:
        d = np.full(nseg, float(d))
    elif d.shape != (nseg,):
        raise GeometryError(f"diam must be a scalar or have shape ({nseg},), got shape {d.shape}")
    bad = np.flatnonzero(~(np.isfinite(d) & (d > 0)))
    if bad.size:
        raise GeometryError(f"diam[{bad[0]}] = {d[bad[0]]} must be positive and finite")
    dx = L / nseg
    cross = np.pi * d * d / 4.0
    r_half = (dx / 2) / cross
    return SegmentGeometry(
        L=L,
        area=np.pi * d * dx,
        volume=cross * dx,
        diam=d.copy(),
        r_half_left=r_half,
        r_half_right=r_half.copy(),
    )
