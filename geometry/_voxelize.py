"""Voxelization of sections with 3-D points: inside volume fraction and membrane area per voxel.

The cell is the union of its frusta and joint spheres (:mod:`geometry._sdf`). The grid is
cut into blocks of ``block**3`` voxels; each solid is paired with the blocks its signed
distance can matter in, and the signed distance of the union (the minimum over solids) is
evaluated at the voxel centres block by block, vectorized over (solid, block) pairs.
With h the voxel half-diagonal:

* a voxel whose centre is deeper than h inside the union is full (fraction 1);
* a voxel whose centre is within h of the surface is supersampled: ``supersample**3``
  points on a regular sub-grid, each tested against the solids near that voxel;
* membrane area: the lateral surfaces of the frusta, the joint spheres and the uncovered
  annuli of frustum ends at joints are sampled with area-weighted points (each point
  carries the exact area of its patch); points strictly inside another solid are not on
  the membrane and are dropped; the rest add their area to the voxel that holds them.
  Flat ends at free ends (tips, the root's 0 end) are not membrane, as in NEURON's
  ``seg.area()``.

Each voxel belongs to the frustum with the smallest signed distance at its centre (the
one that holds the centre most deeply, or the nearest one); the centre's projection on
that frustum's axis gives an arc length along the section and so a segment.
"""

from dataclasses import dataclass

import numpy as np

from ._errors import GeometryError
from ._sdf import (BATCH, Grid, block_field, check_dx, frustum_inside, local_ijk, shapes_from_sections,
                   solid_inside, solid_inside_offsets)

__all__ = ["Voxelization", "voxelize"]


# ------------------------------------------------------------------ surface samples
def _frame(n):
    """Two unit vectors (each (m, 3)) completing unit vectors ``n`` (m, 3) to a right-handed frame."""
    ref = np.zeros_like(n)
    ref[np.arange(len(n)), np.argmin(np.abs(n), axis=1)] = 1.0
    e1 = np.cross(n, ref)
    e1 /= np.linalg.norm(e1, axis=1)[:, None]
    return e1, np.cross(n, e1)


def _grid_counts(counts_a, counts_b):
    """Per item i, all (ia, ib) with ia < counts_a[i], ib < counts_b[i]: item, ia, ib arrays."""
    total = counts_a * counts_b
    item = np.repeat(np.arange(total.size), total)
    k = np.arange(item.size) - np.repeat(np.cumsum(total) - total, total)
    nb = counts_b[item]
    return item, k // nb, k % nb


def _around(length, spacing):
    """Samples around a circle of ``length`` [um]: at least 8, a multiple of 8 (so that
    pieces share few distinct templates)."""
    return (8 * np.ceil(np.maximum(8, np.ceil(length / spacing)) / 8)).astype(np.int64)


def _chunks(n_items, per_item, max_samples):
    step = max(1, max_samples // max(1, per_item))
    for i in range(0, n_items, step):
        yield slice(i, i + step)


def _lateral_samples(s, idx, spacing, max_samples):
    slant = np.hypot(s.length[idx], s.rb[idx] - s.ra[idx])
    n_ax = np.maximum(1, np.ceil(slant / spacing)).astype(np.int64)
    n_circ = _around(2 * np.pi * np.maximum(s.ra[idx], s.rb[idx]), spacing)
    e1, e2 = _frame(s.u[idx])
    for n in np.unique(n_circ):
        grp = np.flatnonzero(n_circ == n)
        theta = (np.arange(n) + 0.5) * (2 * np.pi / n)
        cos, sin = np.cos(theta)[None, :, None], np.sin(theta)[None, :, None]
        # rings: one per (frustum, axial step)
        ring_of = np.repeat(grp, n_ax[grp])
        i = np.arange(ring_of.size) - np.repeat(np.cumsum(n_ax[grp]) - n_ax[grp], n_ax[grp])
        for sl in _chunks(ring_of.size, int(n), max_samples):
            k = ring_of[sl]
            f = idx[k]
            frac = (i[sl] + 0.5) / n_ax[k]
            r = s.ra[f] + (s.rb[f] - s.ra[f]) * frac
            centre = s.a[f] + s.u[f] * (frac * s.length[f])[:, None]
            xyz = centre[:, None, :] + r[:, None, None] * (cos * e1[k][:, None, :] + sin * e2[k][:, None, :])
            w = r * (slant[k] / n_ax[k]) * (2 * np.pi / n)
            yield xyz.reshape(-1, 3), np.repeat(w, n), np.repeat(f, n)


def _sphere_samples(s, idx, spacing, max_samples):
    r = s.radius[idx]
    n_z = np.maximum(4, np.ceil(np.pi * r / spacing)).astype(np.int64)
    n_phi = _around(2 * np.pi * r, spacing)
    key = n_z * (1 << 32) + n_phi
    for kv in np.unique(key):
        grp = idx[key == kv]
        nz, nphi = int(kv >> 32), int(kv & ((1 << 32) - 1))
        z = -1 + (np.arange(nz) + 0.5) * (2.0 / nz)  # equal-area bands
        phi = (np.arange(nphi) + 0.5) * (2 * np.pi / nphi)
        rho = np.sqrt(1 - z * z)[:, None]
        unit = np.stack([rho * np.cos(phi), rho * np.sin(phi), np.broadcast_to(z[:, None], (nz, nphi))],
                        axis=-1).reshape(-1, 3)
        for sl in _chunks(grp.size, unit.shape[0], max_samples):
            g = grp[sl]
            rs = s.radius[g]
            xyz = s.center[g][:, None, :] + rs[:, None, None] * unit[None]
            w = 4 * np.pi * rs * rs / (nz * nphi)
            yield xyz.reshape(-1, 3), np.repeat(w, unit.shape[0]), np.repeat(g, unit.shape[0])


def _cap_samples(s, idx, spacing, max_samples):
    c, n = s.caps[idx, :3], s.caps[idx, 3:6]
    r0, r1 = s.caps[idx, 6], s.caps[idx, 7]
    n_r = np.maximum(1, np.ceil((r1 - r0) / spacing)).astype(np.int64)
    n_phi = _around(2 * np.pi * r1, spacing)
    item, i, j = _grid_counts(n_r, n_phi)
    dr = (r1 - r0)[item] / n_r[item]
    rin = r0[item] + i * dr
    rout = rin + dr
    phi = (j + 0.5) * (2 * np.pi / n_phi[item])
    e1, e2 = _frame(n)
    rad = 0.5 * (rin + rout)
    xyz = c[item] + rad[:, None] * (np.cos(phi)[:, None] * e1[item] + np.sin(phi)[:, None] * e2[item])
    w = np.pi * (rout * rout - rin * rin) / n_phi[item]
    yield xyz, w, idx[item]


def surface_samples(shapes, spacing, kind, idx=None, *, max_samples=BATCH):
    """Area-weighted points on one kind of surface piece, in chunks.

    Parameters
    ----------
    shapes : Shapes
    spacing : float [um]
        Target distance between neighbouring samples.
    kind : {"lateral", "sphere", "cap"}
        Frustum lateral surfaces, joint spheres, or the uncovered annuli of frustum ends
        at joints.
    idx : array_like of int, shape (m,), optional
        Which frusta, spheres or caps (default all).
    max_samples : int, optional
        About the largest chunk.

    Yields
    ------
    xyz : ndarray, shape (k, 3) [um]
        Sample points (patch centres).
    weight : ndarray, shape (k,) [um2]
        Exact area of each sample's patch; per piece they add up to its exact area.
    owner : ndarray of int, shape (k,)
        The frustum, sphere or cap index each sample lies on.
    """
    fn = {"lateral": _lateral_samples, "sphere": _sphere_samples, "cap": _cap_samples}[kind]
    count = {"lateral": shapes.length.size, "sphere": shapes.radius.size, "cap": shapes.caps.shape[0]}[kind]
    idx = np.arange(count) if idx is None else np.asarray(idx, dtype=np.int64)
    if idx.size:
        yield from fn(shapes, idx, spacing, max_samples)


@dataclass(frozen=True)
class Voxelization:
    """Voxels inside or touching a cell (sparse), with their geometry and owners.

    Voxel ``(i, j, k)`` spans ``origin + [i, i+1] * dx`` along x (likewise y, z).

    Attributes
    ----------
    origin : ndarray, shape (3,) [um]
        Lower corner of voxel (0, 0, 0).
    dx : float [um]
        Voxel edge.
    shape : tuple of int
        (nx, ny, nz), the grid that holds every voxel.
    ijk : ndarray of int, shape (n, 3)
        Indices of the voxels, sorted by linear (C-order) index.
    volume_fraction : ndarray, shape (n,)
        Part of each voxel inside the cell, in [0, 1].
    area_um2 : ndarray, shape (n,) [um2]
        Membrane (lateral surface) area inside each voxel.
    section : ndarray of int, shape (n,)
        Index into ``sections`` of the section each voxel belongs to.
    segment : ndarray of int, shape (n,)
        Segment index (0 .. nseg-1) within that section.
    forced : ndarray of bool, shape (n,)
        Voxels given to a segment that would otherwise have none (see :func:`voxelize`).
    sections : tuple
        The sections, in the order given.
    """

    origin: np.ndarray
    dx: float
    shape: tuple
    ijk: np.ndarray
    volume_fraction: np.ndarray
    area_um2: np.ndarray
    section: np.ndarray
    segment: np.ndarray
    forced: np.ndarray
    sections: tuple

    @property
    def volume_um3(self):
        """ndarray, shape (n,) [um3]: inside volume of each voxel."""
        return self.volume_fraction * self.dx ** 3

    @property
    def centers(self):
        """ndarray, shape (n, 3) [um]: voxel centres."""
        return self.origin + (self.ijk + 0.5) * self.dx

    def dense(self, values, fill=0.0):
        """Scatter per-voxel ``values`` (n,) into a dense array of ``shape`` (indexed [i, j, k])."""
        values = np.asarray(values)
        out = np.full(self.shape, fill, dtype=np.result_type(values, type(fill)))
        out[tuple(self.ijk.T)] = values
        return out

    def to_pyvista(self):
        """A ``pyvista.ImageData`` over the grid with cell data ``volume_fraction``,
        ``area_um2``, ``section`` and ``segment`` (-1 outside), spacing and origin in um."""
        import pyvista as pv  # lazy: keeps `import geometry` light

        grid = pv.ImageData(dimensions=np.array(self.shape) + 1, spacing=(self.dx,) * 3, origin=self.origin)
        for name, fill in (("volume_fraction", 0.0), ("area_um2", 0.0), ("section", -1), ("segment", -1)):
            grid.cell_data[name] = self.dense(getattr(self, name), fill).ravel(order="F")
        return grid


#: R3 quasi-random sequence steps (1/phi3, 1/phi3^2, 1/phi3^3), phi3 the plastic number.
_R3 = 1.0 / 1.32471795724474602596 ** np.arange(1, 4)


def _shift(keys):
    """Per-voxel shift in [0, 1)^3 of the sub-sample grid (deterministic, low discrepancy)."""
    return np.mod(0.5 + np.mod(keys, 1 << 24)[:, None] * _R3, 1.0)


def _fractions(s, grid, keys, near_key, near_solid, sub):
    """Inside fraction of boundary voxels ``keys`` (sorted) by sub x sub x sub sampling."""
    order = np.argsort(near_key, kind="stable")
    nk, ns = near_key[order], near_solid[order]
    pos = np.searchsorted(keys, nk)
    ok = (pos < keys.size) & (keys[np.minimum(pos, keys.size - 1)] == nk)
    nk, ns, pos = nk[ok], ns[ok], pos[ok]
    frac = np.zeros(keys.size)
    if nk.size == 0:
        return frac
    g = np.arange(sub, dtype=np.float64)
    sub_idx = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    starts = np.flatnonzero(np.diff(pos, prepend=-1))
    step = max(1, BATCH // sub ** 3)
    i = 0
    while i < starts.size:
        j = max(i + 1, int(np.searchsorted(starts, starts[i] + step, side="left")))
        lo = starts[i]
        hi = starts[j] if j < starts.size else nk.size
        base = grid.origin + grid.ijk(nk[lo:hi]) * grid.dx + _shift(nk[lo:hi]) * (grid.dx / sub)
        inside = solid_inside_offsets(s, ns[lo:hi], base, sub_idx * (grid.dx / sub))
        anyin = np.logical_or.reduceat(inside, starts[i:j] - lo, axis=0)
        frac[pos[starts[i:j]]] = anyin.sum(axis=1) / sub ** 3
        i = j
    return frac


class _Lookup:
    """From points to candidate voxels (via the active blocks) and their near pairs."""

    def __init__(self, grid, field, keys, union_at, near_key, near_solid):
        self.grid = grid
        nb = grid.nblock
        blocks = field.blocks
        self.block_keys = (blocks[:, 0] * nb[1] + blocks[:, 1]) * nb[2] + blocks[:, 2]
        b = grid.block
        self.table = np.full((len(blocks), b ** 3), -1, dtype=np.int64)
        ijk = grid.ijk(keys)
        bk = ijk // b
        slot = np.searchsorted(self.block_keys, (bk[:, 0] * nb[1] + bk[:, 1]) * nb[2] + bk[:, 2])
        loc = ijk % b
        self.table[slot, (loc[:, 0] * b + loc[:, 1]) * b + loc[:, 2]] = np.arange(keys.size)
        self.union_at = union_at
        order = np.argsort(near_key, kind="stable")
        self.nk, self.ns = near_key[order], near_solid[order]
        self.p0 = np.searchsorted(self.nk, keys, side="left")
        self.p1 = np.searchsorted(self.nk, keys, side="right")

    def candidate(self, xyz):
        """Index of the candidate voxel holding each point (m, 3), -1 if none."""
        g = self.grid
        ijk = np.floor((xyz - g.origin) / g.dx).astype(np.int64)
        b, nb = g.block, g.nblock
        bk = ijk // b
        bkey = (bk[:, 0] * nb[1] + bk[:, 1]) * nb[2] + bk[:, 2]
        slot = np.minimum(np.searchsorted(self.block_keys, bkey), self.block_keys.size - 1)
        loc = ijk % b
        out = self.table[slot, (loc[:, 0] * b + loc[:, 1]) * b + loc[:, 2]]
        return np.where(self.block_keys[slot] == bkey, out, -1)


def _sphere_uncovered(s, xyz, sph, tol):
    """Sphere samples not strictly inside either of the two thickest frusta at their joint."""
    keep = np.ones(sph.size, dtype=bool)
    for j in (0, 1):
        f = s.sphere_cover[sph, j]
        keep &= ~frustum_inside(xyz, s.a[f], s.u[f], s.length[f], s.ra[f], s.rb[f], tol)
    return keep


def _areas(s, look, spacing, h):
    """Membrane area per candidate voxel from area-weighted surface samples."""
    nf = s.length.size
    area = np.zeros(look.union_at.size)
    g = look.grid
    tol = 1e-9 * max(1.0, float(np.abs(g.origin).max() + g.shape.max() * g.dx))
    for kind in ("lateral", "sphere", "cap"):
        for xyz, w, own in surface_samples(s, spacing, kind, max_samples=BATCH // 4):
            if kind == "sphere":
                keep = _sphere_uncovered(s, xyz, own, tol)
                xyz, w, own = xyz[keep], w[keep], own[keep] + nf
            elif kind == "cap":
                own = s.cap_frustum[own]
            _add_samples(s, look, xyz, w, own, h, tol, area)
    return area


def _add_samples(s, look, xyz, w, own, h, tol, area):
    cand = look.candidate(xyz)
    idx = np.flatnonzero(cand >= 0)
    idx = idx[look.union_at[cand[idx]] > -h]  # a voxel deep inside holds no membrane
    c = cand[idx]
    p0 = look.p0[c]
    cnt = look.p1[c] - p0
    rep = np.repeat(np.arange(idx.size), cnt)
    pair = np.repeat(p0, cnt) + (np.arange(rep.size) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    other = look.ns[pair] != own[idx[rep]]
    rep, pair = rep[other], pair[other]
    covered = np.zeros(idx.size, dtype=bool)
    if rep.size:
        hit = solid_inside(s, look.ns[pair], xyz[idx[rep]], tol)
        covered[rep[hit]] = True
    area += np.bincount(c[~covered], weights=w[idx[~covered]], minlength=area.size)


def _segment_of(s, f, points):
    """Section and segment of points (m, 3) owned by frusta f (m,)."""
    t = np.clip(np.einsum("ij,ij->i", points - s.a[f], s.u[f]), 0.0, s.length[f])
    sec = s.section[f]
    arc = s.arc0[f] + t
    seg = np.minimum((arc / s.L[sec] * s.nseg[sec]).astype(np.int64), s.nseg[sec] - 1)
    return sec, seg


def _segment_probe_points(s, sec, seg):
    """Points inside segment ``seg`` of section ``sec``: the axis point at its middle, then
    points across that cross-section, then along its axis (in that order of preference)."""
    fr = np.flatnonzero(s.section == sec)
    L, n = s.L[sec], s.nseg[sec]
    pts = []
    for frac in (0.5, 0.25, 0.75, 0.1, 0.9):
        arc = (seg + frac) * L / n
        k = fr[int(np.clip(np.searchsorted(s.arc0[fr], arc, side="right") - 1, 0, fr.size - 1))]
        t = np.clip(arc - s.arc0[k], 0, s.length[k])
        p = s.a[k] + s.u[k] * t
        pts.append(p)
        if frac == 0.5:
            r = s.ra[k] + (s.rb[k] - s.ra[k]) * t / s.length[k]
            ref = np.eye(3)[np.argmin(np.abs(s.u[k]))]
            e1 = np.cross(s.u[k], ref)
            e1 /= np.linalg.norm(e1)
            e2 = np.cross(s.u[k], e1)
            for rr in (0.5, 0.9):
                for ang in np.arange(6) * np.pi / 3:
                    pts.append(p + rr * r * (np.cos(ang) * e1 + np.sin(ang) * e2))
    return np.array(pts)


def _segment_volume(s, sec, seg):
    """Frusta volume [um3] of one segment (exact, split at the segment ends)."""
    fr = np.flatnonzero(s.section == sec)
    L, n = s.L[sec], s.nseg[sec]
    lo, hi = seg * L / n, (seg + 1) * L / n
    t0 = np.clip(lo - s.arc0[fr], 0, s.length[fr])
    t1 = np.clip(hi - s.arc0[fr], 0, s.length[fr])
    r0 = s.ra[fr] + (s.rb[fr] - s.ra[fr]) * t0 / s.length[fr]
    r1 = s.ra[fr] + (s.rb[fr] - s.ra[fr]) * t1 / s.length[fr]
    return float(np.sum(np.pi / 3 * (t1 - t0) * (r0 * r0 + r0 * r1 + r1 * r1)))


def _give_every_segment_a_voxel(s, grid, keys, frac, area, sec, seg, forced, names):
    """Reassign (or add) one voxel to each segment that owns none; returns updated arrays."""
    base = np.concatenate([[0], np.cumsum(s.nseg)])
    gseg = base[sec] + seg
    count = np.bincount(gseg, minlength=base[-1])
    extra = []
    for g in np.flatnonzero(count == 0):
        k = int(np.searchsorted(base, g, side="right") - 1)
        i = int(g - base[k])
        probes = _segment_probe_points(s, k, i)
        vk = grid.key(np.floor((probes - grid.origin) / grid.dx).astype(np.int64))
        done = False
        for v in vk:
            p = int(np.searchsorted(keys, v))
            if p < keys.size and keys[p] == v:
                if forced[p] or count[gseg[p]] <= 1:
                    continue
                count[gseg[p]] -= 1
                sec[p], seg[p], gseg[p], forced[p] = k, i, g, True
                count[g] += 1
                done = True
                break
        if not done:
            if any(e[0] == vk[0] for e in extra) or np.any(keys == vk[0]):
                raise GeometryError(
                    f"dx = {grid.dx} um is too coarse for {names[k]!r}: segment {i} finds no voxel of "
                    "its own without emptying another segment; use a smaller dx")
            vol = min(1.0, _segment_volume(s, k, i) / grid.dx ** 3)
            extra.append((int(vk[0]), vol, k, i))
            count[g] += 1
    if extra:
        ek = np.array([e[0] for e in extra], dtype=np.int64)
        keys = np.concatenate([keys, ek])
        frac = np.concatenate([frac, [e[1] for e in extra]])
        area = np.concatenate([area, np.zeros(len(extra))])
        sec = np.concatenate([sec, [e[2] for e in extra]])
        seg = np.concatenate([seg, [e[3] for e in extra]])
        forced = np.concatenate([forced, np.ones(len(extra), dtype=bool)])
        order = np.argsort(keys, kind="stable")
        keys, frac, area, sec, seg, forced = (a[order] for a in (keys, frac, area, sec, seg, forced))
    return keys, frac, area, sec, seg, forced


def voxelize(sections, dx, *, supersample=4, area_spacing=None, block=8):
    """Voxels of the cell made by ``sections``, with inside fraction, membrane area and owner.

    Parameters
    ----------
    sections : sequence of cable.Section
        Sections with at least two 3-D points each (e.g. from :func:`load_swc`).
    dx : float [um]
        Voxel edge.
    supersample : int, optional
        Sub-samples per voxel edge for the inside fraction of voxels the surface crosses
        (``supersample**3`` per voxel). Default 4.
    area_spacing : float, optional [um]
        Distance between membrane area samples; default ``dx / 4``.
    block : int, optional
        Voxels per block edge in the sparse evaluation (a tuning knob). Default 8.

    Returns
    -------
    Voxelization
        Every voxel with a positive inside fraction or membrane area, sorted by linear
        index, with its section and segment.

    Raises
    ------
    GeometryError
        Bad ``dx``, a section without 3-D points, or a ``dx`` so coarse that two segments
        compete for one voxel.

    Notes
    -----
    Every segment (so every section) gets at least one voxel. A segment that owns none
    (shorter or thinner than dx, so that its neighbours hold every voxel centre near it)
    takes the voxel holding its midpoint on the axis, keeping that voxel's inside
    fraction and area, unless that would leave another segment without voxels or the voxel
    was already given away this way; then it tries points across its middle cross-section
    and along its axis. If none of those voxels is in the cell at all, the midpoint's
    voxel is added with the segment's own frusta volume (at most dx**3) and no area.
    Such voxels are flagged in ``forced``.

    Examples
    --------
    >>> from cable import Simulation
    >>> sim = Simulation()
    >>> dend = sim.Section("dend")
    >>> dend.pt3dadd(0, 0, 0, 2); dend.pt3dadd(20, 0, 0, 2)
    >>> vox = voxelize([dend], 0.25)
    >>> print(f"{vox.volume_um3.sum():.1f} um3, {vox.area_um2.sum():.1f} um2")  # pi 20, pi 40
    62.8 um3, 125.7 um2
    """
    dx = check_dx(dx)
    if int(supersample) != supersample or supersample < 1:
        raise GeometryError(f"supersample must be a positive integer, got {supersample!r}")
    spacing = dx / 4 if area_spacing is None else float(area_spacing)
    if not spacing > 0:
        raise GeometryError(f"area_spacing must be positive [um], got {area_spacing!r}")
    sections = tuple(sections)
    s = shapes_from_sections(sections)
    grid = Grid.around(s, dx, block, pad=2)
    h = dx * np.sqrt(3) / 2
    field = block_field(s, grid, margin=h, near_band=h)
    local = local_ijk(grid.block)
    r, loc = np.nonzero(field.union < h)
    keys = grid.key(field.blocks[r] * grid.block + local[loc])
    order = np.argsort(keys)
    keys = keys[order]
    union_at = field.union[r, loc][order].astype(np.float64)
    owner = field.owner[r, loc][order]
    frac = np.where(union_at <= -h, 1.0, 0.0)
    boundary = union_at > -h
    frac[boundary] = _fractions(s, grid, keys[boundary], *field.near, int(supersample))
    area = _areas(s, _Lookup(grid, field, keys, union_at, *field.near), spacing, h)
    keep = (frac > 0) | (area > 0)
    keys, frac, area, owner = keys[keep], frac[keep], area[keep], owner[keep]
    sec, seg = _segment_of(s, owner, grid.center(grid.ijk(keys)))
    forced = np.zeros(keys.size, dtype=bool)
    names = [getattr(x, "name", str(x)) for x in sections]
    keys, frac, area, sec, seg, forced = _give_every_segment_a_voxel(s, grid, keys, frac, area, sec, seg,
                                                                     forced, names)
    return Voxelization(origin=grid.origin.copy(), dx=dx, shape=tuple(int(n) for n in grid.shape),
                        ijk=grid.ijk(keys), volume_fraction=frac, area_um2=area, section=sec, segment=seg,
                        forced=forced, sections=sections)
