"""Sections in 3D for voxelizing: their own 3-D points, or a straight layout from L and
diam for sections without (what NEURON's ``define_shape`` does, without changing the
sections)."""

import numpy as np

__all__ = ["LaidOut", "at_arc", "section_points"]


class LaidOut:
    """A section's stand-in for the voxelizer: its name, nseg and 3-D points."""

    def __init__(self, sec, points):
        self.name = sec.name
        self.nseg = sec.nseg
        self._p = points

    def n3d(self):
        return len(self._p)

    def x3d(self, i):
        return float(self._p[i, 0])

    def y3d(self, i):
        return float(self._p[i, 1])

    def z3d(self, i):
        return float(self._p[i, 2])

    def diam3d(self, i):
        return float(self._p[i, 3])


def _own_points(sec):
    n = sec.n3d()
    return np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)] for i in range(n)])


def at_arc(points, s):
    """Position (3,), unit tangent (3,) and radius at arc length s along points (m, 4)."""
    step = np.linalg.norm(np.diff(points[:, :3], axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(step)])
    s = float(np.clip(s, 0.0, arc[-1]))
    k = int(np.clip(np.searchsorted(arc, s, side="right") - 1, 0, len(step) - 1))
    while step[k] == 0 and k > 0:
        k -= 1
    t = 0.0 if step[k] == 0 else (s - arc[k]) / step[k]
    pos = points[k, :3] + t * (points[k + 1, :3] - points[k, :3])
    good = np.flatnonzero(step > 0)
    kk = k if step[k] > 0 else (good[0] if len(good) else k)
    tangent = points[kk + 1, :3] - points[kk, :3]
    norm = np.linalg.norm(tangent)
    tangent = tangent / norm if norm > 0 else np.array([1.0, 0.0, 0.0])
    radius = 0.5 * (points[k, 3] + t * (points[k + 1, 3] - points[k, 3]))
    return pos, tangent, radius


def _rotate(v, angle):
    """v rotated by angle [rad] about z (about y when v is along z)."""
    c, s = np.cos(angle), np.sin(angle)
    if abs(v[2]) > 1 - 1e-12:
        return np.array([c * v[0] + s * v[2], v[1], -s * v[0] + c * v[2]])
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])


def section_points(sections):
    """3-D points (m, 4) [um] (x, y, z, diam) of each section: its own when it has at
    least two, else a straight layout.

    A section without 3-D points is a straight cylinder of length ``L`` (diameters per
    segment) starting at its parent's point at the connection location. It points along
    the parent's axis there (backwards from the parent's 0 end, at right angles from an
    interior point); several such siblings at one point fan out over +-45 degrees (about
    z). A root without points starts at the origin along +x. The sections themselves are
    not changed (NEURON's ``define_shape`` writes such points into the sections).

    Parameters
    ----------
    sections : sequence of cable.Section

    Returns
    -------
    list of ndarray, shape (m, 4)
    """
    memo = {}

    def points(sec):
        got = memo.get(sec)
        if got is not None:
            return got
        if sec.n3d() >= 2:
            memo[sec] = _own_points(sec)
            return memo[sec]
        if sec.parent is None:
            start, direction = np.zeros(3), np.array([1.0, 0.0, 0.0])
        else:
            psec, px = sec.parent
            ppts = points(psec)
            L_parent = float(np.linalg.norm(np.diff(ppts[:, :3], axis=0), axis=1).sum())
            start, tangent, _ = at_arc(ppts, px * L_parent)
            if px >= 1.0:
                base = tangent
            elif px <= 0.0:
                base = -tangent
            else:
                base = _rotate(tangent, np.pi / 2)
            sibs = [c for c in psec.children if c.n3d() < 2 and c.parent[1] == px]
            m = len(sibs)
            angle = 0.0 if m <= 1 else np.deg2rad(-45.0 + 90.0 * sibs.index(sec) / (m - 1))
            direction = _rotate(base, angle)
        n = sec.nseg
        diam = np.array([seg.diam for seg in sec])
        at = np.concatenate([[diam[0]], 0.5 * (diam[1:] + diam[:-1]), [diam[-1]]])
        s = np.linspace(0.0, sec.L, n + 1)
        if sec.child_end == 1:  # the 1 end sits at the parent: x = 0 is the far end
            s = s[::-1]
        xyz = start + s[:, None] * direction
        memo[sec] = np.column_stack([xyz, at])
        return memo[sec]

    return [points(s) for s in sections]
