"""The cell as a union of solids: frusta between consecutive 3-D points and joint spheres.

A section's 3-D points define frusta (truncated cones with flat ends), one per pair of
consecutive points of nonzero separation. Wherever two or more frustum ends meet at the
same place (an interior 3-D point, a branch point, the shared point of a parent and a
child) a *joint sphere* fills the wedge the ends leave open at a bend; its radius is the
second largest of the end radii that meet there, so it closes the wedge between the two
thickest pieces without bulging past the thickest one (a diameter step keeps its flat
annulus). Free ends (tips, the root's 0 end, a wired child's first point) stay flat.

Everything here works on numpy arrays with broadcasting:

* :func:`frustum_sdf`, :func:`sphere_sdf` -- exact signed distances (negative inside)
  [um], 1-Lipschitz, so ``|sdf(p)| > r`` proves that a ball of radius r around p is
  entirely inside or outside;
* :func:`frustum_inside`, :func:`sphere_inside` -- point membership, optionally strict
  by a tolerance;
* :func:`block_field` -- the union's signed distance at the voxel centres of a grid,
  sparse: the grid is cut into blocks of ``block**3`` voxels, each solid is paired with
  the blocks where its distance can matter (a test at the block centre, exact thanks to
  the Lipschitz bound), and the pairs are evaluated in vectorized batches, the minimum
  over solids taken per block with ``minimum.reduceat``.
"""

from dataclasses import dataclass

import numpy as np

from ._errors import GeometryError

__all__ = ["BATCH", "BlockField", "Grid", "Shapes", "block_field", "block_pairs", "check_dx", "frustum_inside",
           "frustum_inside_tq", "frustum_sdf", "frustum_sdf_tq", "local_ijk", "shapes_from_sections", "solid_inside",
           "solid_inside_offsets", "solid_sdf", "solid_sdf_offsets", "sphere_inside", "sphere_sdf"]

#: Positions closer than this [um] are the same joint.
_JOINT_TOL = 1e-6


@dataclass(frozen=True)
class Shapes:
    """The solids of a set of sections.

    Attributes
    ----------
    a, u : ndarray, shape (nf, 3)
        Start point [um] and unit axis of each frustum.
    length, ra, rb : ndarray, shape (nf,) [um]
        Axis length and radii at the start and the end.
    section : ndarray of int, shape (nf,)
        Index (into ``sections``) of the section each frustum belongs to.
    arc0 : ndarray, shape (nf,) [um]
        Arc length along its section at the frustum's start.
    center : ndarray, shape (ns, 3) [um]
        Joint sphere centres.
    radius : ndarray, shape (ns,) [um]
        Joint sphere radii (> 0).
    sphere_cover : ndarray of int, shape (ns, 2)
        The two frusta with the thickest ends at each joint (the first is the thickest; it
        owns voxels that only the joint sphere reaches).
    caps : ndarray, shape (nc, 8)
        Uncovered parts of frustum ends at joints: centre (3), outward normal (3), inner
        radius (the joint sphere's) and outer radius (the frustum end's) [um].
    cap_frustum : ndarray of int, shape (nc,)
        The frustum each cap belongs to.
    L : ndarray, shape (nsec,) [um]
        Arc length of each section's 3-D points.
    nseg : ndarray of int, shape (nsec,)
        Each section's number of segments.
    """

    a: np.ndarray
    u: np.ndarray
    length: np.ndarray
    ra: np.ndarray
    rb: np.ndarray
    section: np.ndarray
    arc0: np.ndarray
    center: np.ndarray
    radius: np.ndarray
    sphere_cover: np.ndarray
    caps: np.ndarray
    cap_frustum: np.ndarray
    L: np.ndarray
    nseg: np.ndarray

    @property
    def b(self):
        """ndarray, shape (nf, 3) [um]: end point of each frustum."""
        return self.a + self.u * self.length[:, None]

    def bounds(self):
        """Lower and upper corners [um] of the box holding every solid, each shape (3,)."""
        r = np.maximum(self.ra, self.rb)[:, None]
        lo = np.minimum(self.a, self.b) - r
        hi = np.maximum(self.a, self.b) + r
        return lo.min(axis=0), hi.max(axis=0)


def _section_points(sec):
    n = sec.n3d()
    if n < 2:
        raise GeometryError(f"section {sec.name!r} has {n} 3-D points; voxelizing needs at least 2 "
                            "per section (add them with pt3dadd)")
    pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)] for i in range(n)])
    if not np.all(np.isfinite(pts)):
        raise GeometryError(f"section {sec.name!r} has a 3-D point that is not finite")
    return pts


def _joints(ends_xyz, ends_r, ends_frustum, ends_normal):
    """Joint spheres and exposed caps from all frustum ends."""
    key = np.round(ends_xyz / _JOINT_TOL).astype(np.int64)
    _, group, count = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    shared = count[group] >= 2
    idx = np.flatnonzero(shared)
    g = group[idx]
    # second largest radius per group: sort by (group, -radius)
    order = np.lexsort((-ends_r[idx], g))
    idx, g = idx[order], g[order]
    first = np.flatnonzero(np.diff(g, prepend=-1))
    center = ends_xyz[idx[first]]
    radius = ends_r[idx[first + 1]]
    cover = np.column_stack([ends_frustum[idx[first]], ends_frustum[idx[first + 1]]])
    keep = radius > 0
    # caps: each shared end wider than its joint's sphere keeps the annulus between them
    inner = np.repeat(radius, np.diff(np.append(first, idx.size)))
    wide = ends_r[idx] > inner
    cidx = idx[wide]
    caps = np.column_stack([ends_xyz[cidx], ends_normal[cidx], inner[wide], ends_r[cidx]])
    return center[keep], radius[keep], cover[keep], caps, ends_frustum[cidx]


def shapes_from_sections(sections):
    """The frusta and joint spheres of sections with 3-D points.

    Parameters
    ----------
    sections : sequence of cable.Section
        Each with at least two 3-D points.

    Returns
    -------
    Shapes

    Raises
    ------
    GeometryError
        A section with fewer than two 3-D points, a non-finite point, or no frustum of
        nonzero length at all.
    """
    sections = list(sections)
    if not sections:
        raise GeometryError("no sections given")
    a, b, ra, rb, sec_id, arc0, L, nseg = [], [], [], [], [], [], [], []
    for k, sec in enumerate(sections):
        pts = _section_points(sec)
        step = np.sqrt(np.sum(np.diff(pts[:, :3], axis=0) ** 2, axis=1))
        arc = np.concatenate([[0.0], np.cumsum(step)])
        if not arc[-1] > 0:
            raise GeometryError(f"section {sec.name!r}: its 3-D points span zero length")
        good = step > 0
        a.append(pts[:-1, :3][good])
        b.append(pts[1:, :3][good])
        ra.append(pts[:-1, 3][good] / 2)
        rb.append(pts[1:, 3][good] / 2)
        arc0.append(arc[:-1][good])
        sec_id.append(np.full(int(good.sum()), k))
        L.append(arc[-1])
        nseg.append(int(sec.nseg))
    a, b = np.concatenate(a), np.concatenate(b)
    ra, rb = np.concatenate(ra), np.concatenate(rb)
    length = np.sqrt(np.sum((b - a) ** 2, axis=1))
    u = (b - a) / length[:, None]
    nf = length.size
    ends_xyz = np.concatenate([a, b])
    ends_r = np.concatenate([ra, rb])
    ends_frustum = np.concatenate([np.arange(nf), np.arange(nf)])
    ends_normal = np.concatenate([-u, u])
    center, radius, cover, caps, cap_frustum = _joints(ends_xyz, ends_r, ends_frustum, ends_normal)
    return Shapes(a=a, u=u, length=length, ra=ra, rb=rb, section=np.concatenate(sec_id),
                  arc0=np.concatenate(arc0), center=center, radius=radius,
                  sphere_cover=cover, caps=caps, cap_frustum=cap_frustum,
                  L=np.array(L), nseg=np.array(nseg))


def _axial(w, u):
    """Axial coordinate t and squared radial distance q2 of offsets ``w`` from an axis."""
    t = np.einsum("...k,...k->...", w, u)
    q2 = np.einsum("...k,...k->...", w, w) - t * t
    return t, np.maximum(q2, 0.0)


def frustum_sdf(p, a, u, length, ra, rb):
    """Signed distance [um] from points to frusta (negative inside).

    Parameters
    ----------
    p : ndarray, shape (..., 3) [um]
        Points.
    a, u : ndarray, shape (..., 3)
        Start point [um] and unit axis, broadcastable against ``p``.
    length, ra, rb : ndarray, shape (...) [um]
        Length and end radii, broadcastable against ``p[..., 0]``.

    Returns
    -------
    ndarray, shape (...) [um]
        The exact Euclidean distance to the frustum's surface (flat ends included),
        negated inside.

    Notes
    -----
    The frustum is a solid of revolution, so the nearest surface point lies in the
    meridian half-plane of ``p``: the distance is the 2-D distance from (t, q) (axial and
    radial coordinates) to the three edges of the half-trapezoid (0, 0)-(0, ra)-(L, rb)
    -(L, 0) that are not on the axis.
    """
    t, q2 = _axial(p - a, u)
    return frustum_sdf_tq(t, q2, length, ra, rb)


def frustum_sdf_tq(t, q2, length, ra, rb):
    """:func:`frustum_sdf` from axial coordinates ``t`` [um] and squared radial distances
    ``q2`` [um2] of the points (arrays of one shape, parameters broadcastable)."""
    q = np.sqrt(q2)
    d_start = np.hypot(t, np.maximum(q - ra, 0.0))
    d_end = np.hypot(t - length, np.maximum(q - rb, 0.0))
    ey = rb - ra
    s = np.clip((t * length + (q - ra) * ey) / (length * length + ey * ey), 0.0, 1.0)
    d_side = np.hypot(t - s * length, q - ra - s * ey)
    d = np.minimum(np.minimum(d_start, d_end), d_side)
    inside = (t >= 0) & (t <= length) & (q * length <= ra * length + ey * t)
    return np.where(inside, -d, d)


def sphere_sdf(p, c, r):
    """Signed distance [um] from points ``p`` (..., 3) to spheres (centre ``c``, radius ``r``)."""
    return np.sqrt(np.einsum("...k,...k->...", p - c, p - c)) - r


def frustum_inside(p, a, u, length, ra, rb, tol=0.0):
    """Whether points lie inside frusta (closed), or deeper than ``tol`` [um] when tol > 0.

    Same broadcasting as :func:`frustum_sdf`; returns a bool array of shape (...).
    """
    t, q2 = _axial(p - a, u)
    return frustum_inside_tq(t, q2, length, ra, rb, tol)


def frustum_inside_tq(t, q2, length, ra, rb, tol=0.0):
    """:func:`frustum_inside` from axial coordinates ``t`` and squared radial distances ``q2``."""
    r = ra + (rb - ra) * np.clip(t / length, 0.0, 1.0) - tol
    return (t >= tol) & (t <= length - tol) & (q2 <= r * np.abs(r))


def sphere_inside(p, c, r, tol=0.0):
    """Whether points lie inside spheres (closed), or deeper than ``tol`` [um] when tol > 0."""
    rr = r - tol
    return np.einsum("...k,...k->...", p - c, p - c) <= rr * np.abs(rr)


def check_dx(dx):
    try:
        dx = float(dx)
    except (TypeError, ValueError):
        raise GeometryError(f"dx must be a number [um], got {dx!r}") from None
    if not (np.isfinite(dx) and dx > 0):
        raise GeometryError(f"dx must be positive and finite [um], got {dx}")
    return dx


# ------------------------------------------------------------------ the sparse field
#: Elements per vectorized evaluation (bounds the memory of a batch).
BATCH = 1 << 20


@dataclass(frozen=True)
class Grid:
    """A regular grid of voxels, a whole number of blocks per side."""

    origin: np.ndarray
    dx: float
    shape: np.ndarray
    block: int

    @classmethod
    def around(cls, shapes, dx, block, pad):
        lo, hi = shapes.bounds()
        origin = (np.floor(lo / dx) - pad) * dx
        need = np.ceil((hi - origin) / dx) + pad
        shape = (np.ceil(need / block) * block).astype(np.int64)
        return cls(origin, float(dx), shape, int(block))

    @property
    def nblock(self):
        return self.shape // self.block

    def key(self, ijk):
        """Linear index of voxels ``ijk`` (..., 3) (C order)."""
        ny, nz = int(self.shape[1]), int(self.shape[2])
        return (ijk[..., 0] * ny + ijk[..., 1]) * nz + ijk[..., 2]

    def ijk(self, key):
        ny, nz = int(self.shape[1]), int(self.shape[2])
        return np.stack([key // (ny * nz), (key // nz) % ny, key % nz], axis=-1)

    def center(self, ijk):
        return self.origin + (ijk + 0.5) * self.dx


def local_ijk(b):
    g = np.indices((b, b, b)).reshape(3, -1).T
    return g.astype(np.int64)


def _boxes(s):
    """Bounding boxes (lo, hi), each (n_solids, 3), of frusta then spheres."""
    r = np.maximum(s.ra, s.rb)[:, None]
    b = s.b
    lo = np.concatenate([np.minimum(s.a, b) - r, s.center - s.radius[:, None]])
    hi = np.concatenate([np.maximum(s.a, b) + r, s.center + s.radius[:, None]])
    return lo, hi


def solid_sdf(s, solid, p):
    """Signed distance [um] of points ``p`` (m, ..., 3) to solids ``solid`` (m,) (frusta
    numbered first, then spheres)."""
    nf = s.length.size
    out = np.empty(p.shape[:-1])
    ex = (slice(None),) + (None,) * (p.ndim - 2)
    isf = solid < nf
    if isf.any():
        f = solid[isf]
        out[isf] = frustum_sdf(p[isf], s.a[f][ex], s.u[f][ex], s.length[f][ex], s.ra[f][ex], s.rb[f][ex])
    if not isf.all():
        k = solid[~isf] - nf
        out[~isf] = sphere_sdf(p[~isf], s.center[k][ex], s.radius[k][ex])
    return out


def solid_inside(s, solid, p, tol=0.0):
    """Whether points ``p`` (m, ..., 3) lie inside solids ``solid`` (m,) (deeper than tol [um])."""
    nf = s.length.size
    out = np.empty(p.shape[:-1], dtype=bool)
    ex = (slice(None),) + (None,) * (p.ndim - 2)
    isf = solid < nf
    if isf.any():
        f = solid[isf]
        out[isf] = frustum_inside(p[isf], s.a[f][ex], s.u[f][ex], s.length[f][ex], s.ra[f][ex], s.rb[f][ex], tol)
    if not isf.all():
        k = solid[~isf] - nf
        out[~isf] = sphere_inside(p[~isf], s.center[k][ex], s.radius[k][ex], tol)
    return out


def _offset_terms(w0, u, offs):
    """t and q2 of the points ``a + w0[m] + offs[S]`` about axes ``u[m]``, shape (m, S)."""
    t = np.einsum("ij,ij->i", w0, u)[:, None] + u @ offs.T
    q2 = (np.einsum("ij,ij->i", w0, w0)[:, None] + np.einsum("ij,ij->i", offs, offs)[None]
          + 2 * (w0 @ offs.T) - t * t)
    return t, np.maximum(q2, 0, out=q2)


def _sphere_d2(w0, offs):
    return (np.einsum("ij,ij->i", w0, w0)[:, None] + np.einsum("ij,ij->i", offs, offs)[None]
            + 2 * (w0 @ offs.T))


def _offset_args(s, solid, base, offs, dtype):
    """Per kind: (rows, offsets from the solid's anchor, parameters), cast to ``dtype``."""
    nf = s.length.size
    isf = solid < nf
    f, k = solid[isf], solid[~isf] - nf
    col = lambda a: a[:, None].astype(dtype)  # noqa: E731
    frusta = (isf, (base[isf] - s.a[f]).astype(dtype), s.u[f].astype(dtype), col(s.length[f]),
              col(s.ra[f]), col(s.rb[f]))
    spheres = (~isf, (base[~isf] - s.center[k]).astype(dtype), col(s.radius[k]))
    return frusta, spheres, offs.astype(dtype)


def solid_sdf_offsets(s, solid, base, offs, dtype=np.float32):
    """Signed distance [um], shape (m, S), of the points ``base[m] + offs[S]`` to solids
    ``solid`` (m,); the offsets are shared, so the dot products are matrix products.
    Computed in ``dtype`` relative to each solid's anchor (single precision: ~1e-6 um)."""
    (isf, w0, u, length, ra, rb), (iss, ws, rs), offs = _offset_args(s, solid, base, offs, dtype)
    out = np.empty((solid.size, offs.shape[0]), dtype=dtype)
    if isf.any():
        out[isf] = frustum_sdf_tq(*_offset_terms(w0, u, offs), length, ra, rb)
    if iss.any():
        out[iss] = np.sqrt(np.maximum(_sphere_d2(ws, offs), 0)) - rs
    return out


def solid_inside_offsets(s, solid, base, offs, dtype=np.float32):
    """Whether the points ``base[m] + offs[S]`` lie inside solids ``solid`` (m,), shape (m, S)."""
    (isf, w0, u, length, ra, rb), (iss, ws, rs), offs = _offset_args(s, solid, base, offs, dtype)
    out = np.empty((solid.size, offs.shape[0]), dtype=bool)
    if isf.any():
        out[isf] = frustum_inside_tq(*_offset_terms(w0, u, offs), length, ra, rb)
    if iss.any():
        out[iss] = _sphere_d2(ws, offs) <= rs * rs
    return out


def block_pairs(s, grid, margin, skip_deep=False):
    """(solid, block) pairs where the solid's signed distance can be below ``margin`` [um]
    at some voxel centre of the block.

    Returns
    -------
    blocks : ndarray of int, shape (nb, 3)
        The active blocks, sorted by linear index.
    solid, slot : ndarray of int, shape (npairs,)
        Each pair's solid and block (row of ``blocks``), sorted by (kind, slot).
    deep : ndarray of bool, shape (nb,)
        With ``skip_deep``, blocks whose every voxel centre lies deeper than ``margin``
        inside one solid; they keep no pairs. All False otherwise.
    """
    lo, hi = _boxes(s)
    size = grid.block * grid.dx
    nb = grid.nblock
    b0 = np.clip(np.floor((lo - margin - grid.origin) / size), 0, nb - 1).astype(np.int64)
    b1 = np.clip(np.floor((hi + margin - grid.origin) / size), 0, nb - 1).astype(np.int64)
    ext = b1 - b0 + 1
    count = ext.prod(axis=1)
    solid = np.repeat(np.arange(count.size), count)
    k = np.arange(solid.size) - np.repeat(np.cumsum(count) - count, count)
    e = ext[solid]
    blk = b0[solid] + np.stack([k // (e[:, 1] * e[:, 2]), (k // e[:, 2]) % e[:, 1], k % e[:, 2]], axis=1)
    center = grid.origin + (blk * grid.block + grid.block / 2) * grid.dx
    half = (grid.block - 1) / 2 * grid.dx * np.sqrt(3)
    sd = np.empty(solid.size)
    for i in range(0, solid.size, BATCH):
        sl = slice(i, i + BATCH)
        sd[sl] = solid_sdf(s, solid[sl], center[sl])
    keep = sd < half + margin
    solid, blk, sd = solid[keep], blk[keep], sd[keep]
    bkey = (blk[:, 0] * nb[1] + blk[:, 1]) * nb[2] + blk[:, 2]
    ukey, first, slot = np.unique(bkey, return_index=True, return_inverse=True)
    slot = slot.ravel()
    deep = np.zeros(ukey.size, dtype=bool)
    if skip_deep:
        lowest = np.full(ukey.size, np.inf)
        np.minimum.at(lowest, slot, sd)
        deep = lowest < -(half + margin)
        solid, slot = solid[~deep[slot]], slot[~deep[slot]]
    order = np.lexsort((slot, solid >= s.length.size))
    return blk[first], solid[order], slot[order], deep


@dataclass
class BlockField:
    """Signed distance of the union at the voxel centres of the active blocks.

    Attributes
    ----------
    blocks : ndarray of int, shape (nb, 3)
    union : ndarray of float32, shape (nb, block**3) [um]
        Minimum over all solids (+inf where no solid came near).
    owner : ndarray of int32, shape (nb, block**3)
        Frustum holding the minimum over frusta, or, where no frustum came near, the
        frustum of the nearest joint sphere; -1 where nothing came near.
    near : tuple of ndarray or None
        (voxel key, solid) of every pair with ``|sdf| < near_band`` at a voxel centre.
    """

    blocks: np.ndarray
    union: np.ndarray
    owner: np.ndarray
    near: tuple | None


def block_field(s, grid, margin, near_band=None, owners=True):
    """Evaluate the union's signed distance block by block (see :class:`BlockField`).

    ``margin`` [um]: values are exact wherever the union's distance is below it;
    ``near_band`` [um]: when given, collect (voxel, solid) pairs closer than it;
    ``owners``: find the owning frusta. Without owners, blocks deeper than ``margin``
    inside one solid are not evaluated; their values are ``-4 * block * dx``.
    """
    blocks, solid, slot, deep = block_pairs(s, grid, margin, skip_deep=not owners)
    b = grid.block
    local = local_ijk(b)
    offs = local * grid.dx
    base = grid.origin + (blocks * b + 0.5) * grid.dx
    nb, b3 = len(blocks), b ** 3
    nf = s.length.size
    best = {k: np.full((nb, b3), np.inf, dtype=np.float32) for k in ("f", "s")}
    who = {k: np.full((nb, b3), -1, dtype=np.int32) for k in ("f", "s")}
    near_key, near_solid = [], []
    step = max(1, BATCH // b3)
    is_sphere = solid >= nf
    for kind, sel in (("f", ~is_sphere), ("s", is_sphere)):
        so, sl = solid[sel], slot[sel]
        tag = (so if kind == "f" else s.sphere_cover[so - nf, 0]).astype(np.int32)
        for i in range(0, so.size, step):
            pr, ps, pt = so[i:i + step], sl[i:i + step], tag[i:i + step]
            S = solid_sdf_offsets(s, pr, base[ps], offs)
            starts = np.flatnonzero(np.diff(ps, prepend=-1))
            m = np.minimum.reduceat(S, starts, axis=0)
            g = ps[starts]
            better = m < best[kind][g]
            best[kind][g] = np.where(better, m, best[kind][g])
            if owners:
                reps = np.diff(np.append(starts, ps.size))
                cand = np.where(S == np.repeat(m, reps, axis=0), pt[:, None], np.int32(-1))
                own = np.maximum.reduceat(cand, starts, axis=0)
                who[kind][g] = np.where(better, own, who[kind][g])
            if near_band is not None:
                r, loc = np.nonzero(np.abs(S) < near_band)
                near_key.append(grid.key(blocks[ps[r]] * b + local[loc]))
                near_solid.append(pr[r])
    union = np.minimum(best["f"], best["s"])
    union[deep] = -4 * b * grid.dx
    owner = np.where(np.isfinite(best["f"]), who["f"], who["s"])
    near = None
    if near_band is not None:
        near = (np.concatenate(near_key) if near_key else np.zeros(0, np.int64),
                np.concatenate(near_solid) if near_solid else np.zeros(0, np.int64))
    return BlockField(blocks, union, owner, near)
