"""3D discretization: one node per voxel, from :func:`geometry.voxelize`.

A *domain* is the voxelization of every section that some 3D region with a given ``dx``
covers (one voxelization per ``dx``, shared by all those regions), on the global lattice
whose voxel ``(I, J, K)`` spans ``[I, I+1] dx`` in x (likewise y, z). Regions on the same
voxels (a cytosol and an ER ``FractionalVolume``, a membrane) therefore have the same node
keys ``(I, J, K)`` and their reactions line up voxel by voxel.

Per domain (:func:`voxel_domain`):

* sections without 3-D points are laid out straight (:func:`section_points`);
* voxels with membrane area but no inside volume (the voxelizer's surface samples can fall
  in a voxel none of whose sub-samples is inside) hand their area to the 26-neighbour
  with volume, preferring one of the same segment, then the largest volume fraction.

Per region (:func:`discretize3d`): its voxels are those of its sections with inside volume
(a ``membrane`` border: those with membrane area). Volumes, areas and diffusive openings:

=================================  ==============  ====================  =========================
geometry                           volume [um3]    area [um2]            face opening
=================================  ==============  ====================  =========================
``inside``                         f dx^3          a                     (fa + fb) / 2 dx^2
``FractionalVolume(vf, sf, naf)``  vf f dx^3       sf a                  naf (fa + fb) / 2 dx^2
``membrane`` (border)              0               a                     (no diffusion)
``ScalableBorder(s)`` (border)     0               4 s f dx^3 / (pi d)   (no diffusion)
=================================  ==============  ====================  =========================

with f the voxel's inside volume fraction, a its membrane area and d its segment's
diameter (a ScalableBorder has ``s * d`` um2 per um of length, as in 1D).

Diffusion (conservative finite volumes): face neighbours a, b exchange ``g (c_b - c_a)``
with ``g = D * opening / dx`` [um3/ms]; the opening is the mean of the two volume fractions
times the face area, ``(fa + fb) / 2 * dx^2``: the face's open fraction for a boundary
that cuts both voxels along a plane (to first order), and unbiased by the voxelizer's
sampling noise (a boundary voxel's fraction varies by about 1/64 from voxel to voxel along
a straight cylinder). The smaller of the two fractions was tried and rejected: it bounds
``g / V`` by ``D / dx^2`` (the mean allows ``(1 + f) / (2 f) D / dx^2`` for a voxel with a
small fraction f, which the implicit solvers do not mind), but it takes the noise as
narrowings. Effective axial diffusion along a cylinder (diam 2 um, dx 0.25 um, variance
growth of a pulse, ``tests/rxd/test_rxd3d.py``): along x 0.9993 D with the mean, 0.987 D
with the minimum; along (1, 1, 0) 0.987 / 0.887; along (1, 1, 1) 0.971 / 0.859; along
(3, 1, 0.5) 0.985 / 0.918. The staircase of a tilted cylinder costs a few percent that
shrink with dx / radius (along (1, 1, 1): 0.934 at dx 0.5, 0.978 at 0.125). Nothing
crosses the membrane (voxels outside the cell are not nodes).

Bridges keep each region connected where the voxel faces do not:

1. along each section's axis (sampled every dx/2), consecutive voxels in different
   face-connected components are joined (thin sections, diam < dx, can otherwise break
   into pieces that touch only along edges or corners);
2. a section's first axis voxel is joined to the voxel holding its parent's connection
   point (or the parent's nearest voxel) when the two are not connected yet (a dendrite
   that starts outside a one-point soma);
3. a component holding no axis voxel is joined to its best-overlapping 26-neighbour in
   another component (else to its section's nearest voxel elsewhere).

A bridge over distance l between voxel centres through a tube of radius r (the section's
radius there; the child's first radius for 2) has ``g = D naf pi r^2 / l`` as a 1D cable
piece; in rule 3, ``g = D naf (fa + fb) / 2 dx^2 / l``.
"""

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ._errors import RxdError
from ._geometry import FractionalVolume, ScalableBorder, _Inside, _Membrane
from ._layout3d import LaidOut, at_arc, section_points

__all__ = ["VoxelData", "VoxelDomain", "diffusion_pairs3d", "discretize3d", "section_points", "voxel_domain"]


# ------------------------------------------------------------------ the domain
@dataclass
class VoxelDomain:
    """The voxels of all sections some 3D regions of one ``dx`` cover.

    Attributes
    ----------
    sections : list of Section
    points : list of ndarray (m, 4)  3-D points used (own or laid out)
    dx : float [um]
    shape : ndarray of int (3,)  the voxelization's grid
    base : ndarray of int (3,)  global index of the grid's voxel (0, 0, 0)
    key : ndarray of int (N,)  C-order index in the grid (sorted)
    ijk : ndarray of int (N, 3)  global voxel indices
    frac : ndarray (N,)  inside volume fraction
    membrane : ndarray (N,) [um2]  membrane area (moved off voxels without volume)
    section, segment : ndarray of int (N,)
    moved_um2 : float  membrane area moved to a neighbour
    """

    sections: list
    points: list
    dx: float
    shape: np.ndarray
    base: np.ndarray
    key: np.ndarray
    ijk: np.ndarray
    frac: np.ndarray
    membrane: np.ndarray
    section: np.ndarray
    segment: np.ndarray
    moved_um2: float = 0.0

    def keys_of(self, gijk):
        """Grid keys of global voxel indices (m, 3); -1 outside the grid."""
        loc = np.asarray(gijk, dtype=np.int64) - self.base
        ok = np.all((loc >= 0) & (loc < self.shape), axis=-1)
        k = (loc[..., 0] * self.shape[1] + loc[..., 1]) * self.shape[2] + loc[..., 2]
        return np.where(ok, k, -1)


_OFFSETS26 = np.array([(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1) if (a, b, c) != (0, 0, 0)])


def _find(sorted_keys, k):
    """Positions of keys k in sorted_keys, -1 where absent."""
    k = np.asarray(k)
    if len(sorted_keys) == 0:
        return np.full(k.shape, -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_keys, k), len(sorted_keys) - 1)
    return np.where((k >= 0) & (sorted_keys[pos] == k), pos, -1)


def voxel_domain(sections, dx):
    """Voxelize sections (laying out those without 3-D points) for 3D regions.

    Parameters
    ----------
    sections : list of Section
    dx : float [um]

    Returns
    -------
    VoxelDomain
    """
    from geometry import GeometryError, voxelize

    pts = section_points(sections)
    stand_ins = [s if s.n3d() >= 2 else LaidOut(s, p) for s, p in zip(sections, pts)]
    try:
        vox = voxelize(stand_ins, dx)
    except GeometryError as err:
        raise RxdError(f"3D regions with dx = {dx} um: {err}") from err
    shape = np.array(vox.shape, dtype=np.int64)
    base = np.round(vox.origin / dx).astype(np.int64)
    ijk = vox.ijk.astype(np.int64)
    key = (ijk[:, 0] * shape[1] + ijk[:, 1]) * shape[2] + ijk[:, 2]
    frac = vox.volume_fraction.astype(float)
    membrane = vox.area_um2.astype(float).copy()
    sec, seg = vox.section.astype(np.int64), vox.segment.astype(np.int64)
    dom = VoxelDomain(list(sections), pts, float(dx), shape, base, key, ijk + base, frac, membrane, sec, seg)
    _move_area_off_empty(dom)
    return dom


def _move_area_off_empty(dom):
    """Membrane area of voxels without volume goes to a 26-neighbour with volume (same
    segment first, then the largest fraction), else to the nearest voxel of its segment."""
    empty = np.flatnonzero((dom.frac <= 0) & (dom.membrane > 0))
    if not len(empty):
        return
    nb = dom.keys_of(dom.ijk[empty][:, None, :] + _OFFSETS26[None])
    pos = _find(dom.key, nb)
    ok = pos >= 0
    pos_safe = np.where(ok, pos, 0)
    full = ok & (dom.frac[pos_safe] > 0)
    same = (dom.section[pos_safe] == dom.section[empty][:, None]) & (dom.segment[pos_safe] == dom.segment[empty][:, None])
    score = np.where(full, dom.frac[pos_safe] + 2.0 * same, -1.0)
    best = np.argmax(score, axis=1)
    target = pos_safe[np.arange(len(empty)), best]
    found = score[np.arange(len(empty)), best] > 0
    lost = empty[~found]
    if len(lost):
        fullidx = np.flatnonzero(dom.frac > 0)
        for v in lost:
            cand = fullidx[(dom.section[fullidx] == dom.section[v]) & (dom.segment[fullidx] == dom.segment[v])]
            if not len(cand):
                cand = fullidx
            d2 = np.sum((dom.ijk[cand] - dom.ijk[v]) ** 2, axis=1)
            target[np.flatnonzero(empty == v)[0]] = cand[np.argmin(d2)]
    area = dom.membrane[empty].copy()
    dom.membrane[empty] = 0.0
    np.add.at(dom.membrane, target, area)
    dom.moved_um2 = float(area.sum())


# ------------------------------------------------------------------ one region's nodes
@dataclass
class VoxelData:
    """Nodes of one region in 3D: one per voxel (compatible with ``SorData``).

    Attributes
    ----------
    secs : list of Section  the region's sections
    sec_id : ndarray of int (n,)  index into secs
    seg_index : ndarray of int (n,)
    x : ndarray (n,)  the segment centre's position [0..1] on its section
    volume : ndarray (n,) [um3]
    area : ndarray (n,) [um2]  membrane area facing the compartment (a border: its own)
    lookup : dict (I, J, K) -> node position
    keys : list of (I, J, K)  global voxel indices, in node order
    ijk : ndarray of int (n, 3)
    voxel_dx : float [um]
    membrane_um2 : ndarray (n,)  the voxel's plasma membrane area (unscaled)
    surface_fraction : float  area = surface_fraction * membrane_um2 (volume regions)
    pair_i, pair_j : ndarray of int (p,)
    pair_g : ndarray (p,) [um]  diffusive conductance per unit diffusion coefficient
    bridges : list of 3 int  how many of the pairs are bridges, by rule (axis,
        parent, stray piece; see the module docstring)
    """

    secs: list
    sec_id: np.ndarray
    seg_index: np.ndarray
    x: np.ndarray
    volume: np.ndarray
    area: np.ndarray
    lookup: dict
    keys: list
    ijk: np.ndarray
    voxel_dx: float
    membrane_um2: np.ndarray
    surface_fraction: float
    pair_i: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    pair_j: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    pair_g: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bridges: list = field(default_factory=lambda: [0, 0, 0])
    dimension: int = 3

    @property
    def n(self):
        return len(self.x)

    @property
    def xyz(self):
        """ndarray (n, 3) [um]: voxel centres."""
        return (self.ijk + 0.5) * self.voxel_dx


def _region_factors(region):
    """(volume factor, surface fraction, opening factor) of a volume region, or None for a
    border; raises for geometries without a 3D meaning."""
    geo = region.geometry
    if isinstance(geo, _Inside):
        return 1.0, 1.0, 1.0
    if isinstance(geo, FractionalVolume):
        return geo.volume_fraction, geo.surface_fraction, geo.neighbor_areas_fraction
    if isinstance(geo, (_Membrane, ScalableBorder)):
        return None
    raise RxdError(
        f"{region!r}: the geometry {geo!r} has no 3D form; 3D regions take rxd.inside, "
        "FractionalVolume, rxd.membrane or ScalableBorder"
    )


def discretize3d(region, dom):
    """The voxels of a region (one node each) with volumes, areas and diffusion pairs.

    Parameters
    ----------
    region : Region  (dimension 3)
    dom : VoxelDomain  holding the region's sections

    Returns
    -------
    VoxelData
    """
    where = {s: k for k, s in enumerate(dom.sections)}
    to_region = np.full(len(dom.sections), -1, dtype=np.int64)
    for k, s in enumerate(region.secs):
        to_region[where[s]] = k
    factors = _region_factors(region)
    inreg = to_region[dom.section] >= 0
    sel = inreg & (dom.frac > 0)
    if isinstance(region.geometry, _Membrane):
        sel = inreg & (dom.membrane > 0)
    idx = np.flatnonzero(sel)
    dx = dom.dx
    sec_id = to_region[dom.section[idx]]
    seg = dom.segment[idx]
    nseg = np.array([s.nseg for s in region.secs])
    x = (seg + 0.5) / nseg[sec_id]
    frac = dom.frac[idx]
    mem = dom.membrane[idx]
    if factors is None:
        volume = np.zeros(len(idx))
        if isinstance(region.geometry, ScalableBorder):
            diam = [np.asarray(s.geometry().diam, dtype=float) for s in region.secs]
            d = np.array([diam[a][b] for a, b in zip(sec_id, seg)]) if len(idx) else np.zeros(0)
            area = 4.0 * region.geometry.scale * frac * dx**3 / (np.pi * d)
        else:
            area = mem.copy()
        sf = 1.0
    else:
        vf, sf, _ = factors
        volume = vf * frac * dx**3
        area = sf * mem
    ijk = dom.ijk[idx]
    keys = list(map(tuple, ijk.tolist()))
    lookup = {k: j for j, k in enumerate(keys)}
    data = VoxelData(region.secs, sec_id, seg, x, volume, area, lookup, keys, ijk, dx, mem, sf)
    if factors is not None and factors[2] > 0:
        _diffusion_graph(data, dom, idx, region, factors[2])
    return data


def _face_pairs(dom, idx):
    """Face-neighbour pairs (positions in idx) among voxels idx of the domain."""
    key = dom.key[idx]
    I, J = [], []
    strides = (dom.shape[1] * dom.shape[2], dom.shape[2], 1)
    loc = dom.ijk[idx] - dom.base
    for ax, stride in enumerate(strides):
        ok = loc[:, ax] + 1 < dom.shape[ax]
        pos = _find(key, np.where(ok, key + stride, -1))
        a = np.flatnonzero(pos >= 0)
        I.append(a)
        J.append(pos[a])
    return np.concatenate(I), np.concatenate(J)


class _UnionFind:
    """Union-find over component labels (few unions)."""

    def __init__(self, n):
        self.parent = np.arange(n)

    def find(self, a):
        p = self.parent
        root = a
        while p[root] != root:
            root = p[root]
        while p[a] != root:
            p[a], a = root, p[a]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)
        return ra != rb


def _diffusion_graph(data, dom, idx, region, naf):
    """Face pairs and bridges of a volume region (see the module docstring)."""
    dx = dom.dx
    frac = dom.frac[idx]
    fi, fj = _face_pairs(dom, idx)
    g = naf * 0.5 * (frac[fi] + frac[fj]) * dx
    n = len(idx)
    ncomp, label = connected_components(sp.coo_matrix((np.ones(len(fi)), (fi, fj)), shape=(n, n)), directed=False)
    uf = _UnionFind(ncomp)
    bi, bj, bg = [], [], []
    key = dom.key[idx]
    centres = data.xyz

    def voxel_at(points):
        return _find(key, dom.keys_of(np.floor(points / dx).astype(np.int64)))

    def bridge(a, b, gval, rule):
        if uf.union(label[a], label[b]):
            bi.append(a)
            bj.append(b)
            bg.append(gval)
            data.bridges[rule - 1] += 1

    on_axis = np.zeros(n, dtype=bool)
    first_voxel = {}
    where = {s: k for k, s in enumerate(dom.sections)}
    # 1. along each section's axis
    for sec in region.secs:
        pts = dom.points[where[sec]]
        step = np.linalg.norm(np.diff(pts[:, :3], axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(step)])
        s = np.unique(np.concatenate([np.arange(0.0, arc[-1], 0.5 * dx), [arc[-1]]]))
        xyz = np.column_stack([np.interp(s, arc, pts[:, c]) for c in range(3)])
        rad = 0.5 * np.interp(s, arc, pts[:, 3])
        v = voxel_at(xyz)
        keep = v >= 0
        v, rad = v[keep], rad[keep]
        if not len(v):
            continue
        change = np.concatenate([[True], v[1:] != v[:-1]])
        v, rad = v[change], rad[change]
        on_axis[v] = True
        first_voxel[sec] = v[0] if sec.child_end == 0 else v[-1]
        cut = np.flatnonzero(label[v[1:]] != label[v[:-1]])
        for c in cut:
            a, b = v[c], v[c + 1]
            length = max(np.linalg.norm(centres[a] - centres[b]), dx)
            r = 0.5 * (rad[c] + rad[c + 1])
            bridge(a, b, naf * np.pi * r * r / length, 1)
    # 2. each section to its parent
    secset = set(region.secs)
    for sec in region.secs:
        if sec.parent is None or sec.parent[0] not in secset or sec not in first_voxel:
            continue
        psec, px = sec.parent
        ppts = dom.points[where[psec]]
        L_parent = float(np.linalg.norm(np.diff(ppts[:, :3], axis=0), axis=1).sum())
        point, _, _ = at_arc(ppts, px * L_parent)
        pv = voxel_at(point[None])[0]
        if pv < 0:
            mine = np.flatnonzero(data.sec_id == region.secs.index(psec))
            if not len(mine):
                continue
            pv = mine[np.argmin(np.sum((centres[mine] - point) ** 2, axis=1))]
        cv = first_voxel[sec]
        pts = dom.points[where[sec]]
        r0 = 0.5 * (pts[0, 3] if sec.child_end == 0 else pts[-1, 3])
        length = max(np.linalg.norm(centres[pv] - centres[cv]), dx)
        bridge(cv, pv, naf * np.pi * r0 * r0 / length, 2)
    # 3. pieces without an axis voxel
    _join_strays(data, dom, idx, label, uf, on_axis, bridge, naf)
    data.pair_i = np.concatenate([fi, np.array(bi, dtype=np.intp)]).astype(np.intp)
    data.pair_j = np.concatenate([fj, np.array(bj, dtype=np.intp)]).astype(np.intp)
    data.pair_g = np.concatenate([g, np.array(bg, dtype=float)])


def _join_strays(data, dom, idx, label, uf, on_axis, bridge, naf):
    dx = dom.dx
    frac = dom.frac[idx]
    key = dom.key[idx]
    centres = data.xyz
    for _ in range(64):
        roots = np.array([uf.find(c) for c in range(len(uf.parent))])
        has_axis = np.zeros(len(roots), dtype=bool)
        has_axis[roots[label[on_axis]]] = True
        stray = np.flatnonzero(~has_axis[roots[label]])
        if not len(stray):
            return
        nb = _find(key, dom.keys_of(data.ijk[stray][:, None, :] + _OFFSETS26[None]))
        ok = nb >= 0
        safe = np.where(ok, nb, 0)
        other = ok & (roots[label[safe]] != roots[label[stray]][:, None])
        score = np.where(other, np.minimum(frac[safe], frac[stray][:, None]), -1.0)
        best = np.argmax(score, axis=1)
        gotb = score[np.arange(len(stray)), best] > 0
        joined = False
        # per stray piece, its best contact
        comp = roots[label[stray]]
        order = np.lexsort((-score[np.arange(len(stray)), best], comp))
        seen = set()
        for t in order:
            c = comp[t]
            if c in seen or not gotb[t]:
                continue
            seen.add(c)
            a, b = stray[t], safe[t, best[t]]
            length = np.linalg.norm(centres[a] - centres[b])
            joined = True
            bridge(a, b, naf * 0.5 * (frac[a] + frac[b]) * dx * dx / length, 3)
        if not joined:  # isolated by more than one voxel: nearest voxel of its section elsewhere
            c = comp[0]
            members = stray[comp == c]
            rest = np.flatnonzero(roots[label] != c)
            same = rest[data.sec_id[rest] == data.sec_id[members[0]]]
            cand = same if len(same) else rest
            if not len(cand):
                return
            dist, near = cKDTree(centres[cand]).query(centres[members])
            a_ = int(np.argmin(dist))
            a, b = members[a_], cand[near[a_]]
            bridge(a, b, naf * 0.5 * (frac[a] + frac[b]) * dx * dx / float(dist[a_]), 3)


def diffusion_pairs3d(data, d):
    """Neighbouring voxels and their diffusive conductance.

    Parameters
    ----------
    data : VoxelData
    d : float [um2/ms]

    Returns
    -------
    i, j : ndarray of int
    g : ndarray [um3/ms]
        The flux from j to i is g (c_j - c_i) [mM um3/ms].
    """
    return data.pair_i, data.pair_j, d * data.pair_g
