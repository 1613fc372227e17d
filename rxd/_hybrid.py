"""Hybrid 1D/3D regions: a region whose sections are partly 3D and partly 1D (NEURON's
``set_solve_type(some_sections, dimension=3)``).

Internally a hybrid region is two regions over the same geometry, one with its 1D
sections (one node per segment, ``rxd._discretize``) and one with its 3D sections (voxels,
``rxd._discretize3d``), and every species on it is two *parts* (:class:`PartSor`), each
with its own states, laid out one after the other. Reactions are compiled per part
(``rxd._compile.resolve``). Users see one region: ``species[region].nodes`` holds both
kinds of node, each node reports the user's region.

Diffusion joins the parts where a 1D section meets a 3D one (:func:`junctions`), by
NEURON 9's rule (``neuron/rxd/rxd.py``, ``_setup_matrices`` and ``_get_node_indices``;
``Region._indices_from_sec_x``), written here as conductances of the symmetric diffusion
matrix (so mass is conserved exactly):

* the 1D node is the 1D section's segment at the junction: its first segment when it is
  the child of the 3D section, the parent's end segment (at x = 0 or 1) when the 3D
  section is its child;
* the 3D voxels are those of the region (with volume) cut by the plane through the 3D
  section's end, perpendicular to its end piece (the axis from its first to its second
  3-D point; at the x = 1 end the plane is moved dx inward, so that it cuts the last layer
  of voxels inside the section), within ``r + sqrt(3) dx`` of the end point (``r``: the
  3D section's end radius); a voxel is cut when some but not all of its corners lie
  strictly beyond the plane;
* the 1D node and voxel ``i`` exchange ``g_i (c_i - c_1d)`` with
  ``g_i = w_i D A / ((dx + h) / 2)``: ``A`` the 1D node's cross-section (``pi d^2 / 4``
  for ``inside``), ``h`` its segment length (``(dx + h) / 2`` the distance from the
  segment's centre to a voxel's centre along the axis) and ``w_i = V_i^(2/3) / sum_j
  V_j^(2/3)`` (the voxel's share, by its volume to the 2/3).

NEURON requires the junction at a section end (x = 0 or 1) and recomputes the volumes of
the junction voxels with the 1D section's first frustum included; we raise for interior
junctions and keep our voxel volumes (the 1D part's volume is its own nodes').
"""

from dataclasses import dataclass

import numpy as np

from ._errors import RxdError

__all__ = ["Junctions", "PartSor", "SystemHybrid", "junctions", "part_regions"]


class PartSor:
    """The 1D or the 3D part of a species on a hybrid region (it stands for a species on
    a region in the rxd system: ``species``, ``region``, a state block of its own).

    Attributes
    ----------
    whole : SpeciesOnRegion  the user's ``species[region]``
    species : Species
    region : Region  the user's (hybrid) region
    part : Region  the internal region of the part's sections (dimension 1 or 3)
    dim : int  1 or 3
    """

    def __init__(self, whole, part, dim):
        self.whole = whole
        self.species = whole.species
        self.region = whole.region
        self.part = part
        self.dim = dim

    @property
    def nodes(self):
        """The nodes of this part (a :class:`NodeList`)."""
        from ._system import system_for

        return system_for(self.species.sim).nodes_of(self)

    def __repr__(self):
        return f"{self.species.name}[{self.region.name}:{self.dim}D]"


def _signature(region):
    return (tuple(id(s) for s in region.secs1d), tuple(id(s) for s in region.secs3d), region.dx)


def part_regions(region, cache):
    """The internal 1D and 3D regions of a hybrid region (kept in ``cache`` while its
    sections' dimensions stay the same, so that nodes made earlier stay valid)."""
    from ._region import Region

    sig = _signature(region)
    got = cache.get(region)
    if got is None or got[0] != sig:
        kw = {"nrn_region": region.nrn_region, "geometry": region.geometry, "name": region.name}
        parts = (Region(region.secs1d, dimension=1, **kw), Region(region.secs3d, dimension=3, dx=region.dx, **kw))
        got = cache[region] = (sig, parts)
    return got[1]


def part_sors(sor, cache, region_cache):
    """The 1D and 3D parts of a species on a hybrid region (cached like the regions)."""
    r1, r3 = part_regions(sor.region, region_cache)
    got = cache.get(sor)
    if got is None or got[0] is not r1 or got[1] is not r3:
        got = cache[sor] = (r1, r3, (PartSor(sor, r1, 1), PartSor(sor, r3, 3)))
    return got[2]


@dataclass
class Junctions:
    """Where the 1D part of a hybrid region meets its 3D part.

    Attributes
    ----------
    node1d : ndarray of int (p,)  node of the 1D part
    voxel : ndarray of int (p,)  node of the 3D part
    g_per_d : ndarray (p,) [um]  conductance per unit diffusion coefficient
    where : list of str  the junctions, e.g. ``"dend(0) - soma(1)"``
    """

    node1d: np.ndarray
    voxel: np.ndarray
    g_per_d: np.ndarray
    where: list


def junctions(region, data1d, data3d, dom):
    """The junction conductances of a hybrid region (see the module docstring).

    Parameters
    ----------
    region : Region  (hybrid)
    data1d : SorData  its 1D part
    data3d : VoxelData  its 3D part (a volume geometry)
    dom : VoxelDomain  holding its 3D sections

    Returns
    -------
    Junctions

    Raises
    ------
    RxdError
        A junction inside a section (not at 0 or 1), or one that cuts no voxel.
    """
    secs1d, secs3d = set(region.secs1d), set(region.secs3d)
    I, J, G, where = [], [], [], []
    for sec in region.secs:
        if sec.parent is None:
            continue
        psec, px = sec.parent
        if sec in secs3d and psec in secs1d:  # a 3D child of a 1D section
            sec3d, x3d, sec1d, x1d = sec, float(sec.child_end), psec, px
        elif sec in secs1d and psec in secs3d:  # a 1D child of a 3D section
            sec3d, x3d, sec1d, x1d = psec, px, sec, float(sec.child_end)
        else:
            continue
        label = f"{sec.name}({sec.child_end}) - {psec.name}({px:g})"
        if px not in (0.0, 1.0):
            raise RxdError(
                f"{region!r}: the 1D and 3D parts meet inside a section ({label}); hybrid junctions "
                f"are supported at section ends only (as NEURON 9): connect {sec.name} to "
                f"{psec.name}(0) or {psec.name}(1), or give both sections the same dimension"
            )
        node = data1d.lookup[(id(sec1d), 0 if x1d == 0.0 else sec1d.nseg - 1)]
        vox = _end_voxels(data3d, dom, sec3d, x3d)
        if not len(vox):
            raise RxdError(
                f"{region!r}: the plane of {sec3d.name}'s end at the junction {label} cuts none of the "
                f"region's voxels at dx = {dom.dx} um; try another dx"
            )
        w = data3d.volume[vox] ** (2.0 / 3.0)
        dist = 0.5 * (dom.dx + data1d.dx[node])
        I.append(np.full(len(vox), node))
        J.append(vox)
        G.append(w / w.sum() * data1d.cross[node] / dist)
        where.append(label)
    if not I:
        return Junctions(np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0), [])
    return Junctions(np.concatenate(I).astype(np.intp), np.concatenate(J).astype(np.intp), np.concatenate(G), where)


_CORNERS = np.array([(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=float)


def _end_voxels(data3d, dom, sec, x):
    """Nodes of ``data3d`` cut by the plane of a 3D section's end (x 0 or 1): through its
    first 3-D point, or dx inside its last, perpendicular to the end piece, within the
    end radius + sqrt(3) dx of that point."""
    xyz = dom.points[dom.sections.index(sec)][:, :3]
    end = xyz[::-1] if x == 1.0 else xyz  # from the end inward
    step = np.linalg.norm(end[1:] - end[0], axis=1)
    if not np.any(step > 0):
        raise RxdError(f"{sec.name}: its 3-D points coincide; the 1D/3D junction needs an axis")
    normal = end[int(np.argmax(step > 0)) + 1] - end[0]
    normal /= np.linalg.norm(normal)
    point = end[0] + normal * dom.dx if x == 1.0 else end[0].copy()
    if x == 1.0:
        normal = -normal  # as NEURON: along the section, so the plane's side "beyond" is
        # outside at the 1 end and inside at the 0 end (decides voxels with a corner on it)
    diam = np.asarray(sec.geometry().diam, dtype=float)
    radius = 0.5 * (diam[-1] if x == 1.0 else diam[0]) + np.sqrt(3.0) * dom.dx
    near = np.flatnonzero(np.sum((data3d.xyz - point) ** 2, axis=1) <= radius * radius)
    corners = (data3d.ijk[near][:, None, :] + _CORNERS[None]) * dom.dx
    beyond = (corners - point) @ normal > 0
    return near[beyond.any(axis=1) & ~beyond.all(axis=1)]


class SystemHybrid:
    """Hybrid-region methods of :class:`rxd._system.RxdSystem`."""

    def parts(self, sor):
        """The species on a region as the system holds it: its 1D and 3D parts when the
        region is hybrid, else itself (a tuple)."""
        return self._parts.get(sor, (sor,))

    def _split_hybrid(self):
        """Find this build's hybrid regions and split their species into parts."""
        self._parts = {}
        self._part_regions_now = {}
        for s in self.species:
            for r in s.regions:
                if not r.is_hybrid:
                    continue
                self._part_regions_now[r] = part_regions(r, self._part_region_cache)
                self._parts[s[r]] = part_sors(s[r], self._part_sor_cache, self._part_region_cache)
        for rx in self.reactions:
            r = getattr(rx, "membrane", None)
            if r is not None and r.is_hybrid:
                self._part_regions_now[r] = part_regions(r, self._part_region_cache)

    def _add_junctions(self, rows, cols, vals, gvals):
        """Append the 1D-3D junction conductances of every diffusing species on a hybrid
        region to the diffusion matrix' entries (symmetric pairs: mass is conserved)."""
        self.junctions = {}
        for whole, (p1, p3) in self._parts.items():
            d = whole.species.d
            if d <= 0 or p1 not in self.sor_offset:
                continue
            region = whole.region
            if region not in self.junctions:
                part3 = self._part_regions_now[region][1]
                self.junctions[region] = junctions(region, self._disc(p1), self._disc(p3), self.voxel_domain(part3))
            jn = self.junctions[region]
            i = self.sor_offset[p1] + jn.node1d
            j = self.sor_offset[p3] + jn.voxel
            g = d * jn.g_per_d
            vi, vj = self.volume[i], self.volume[j]
            rows += [i, i, j, j]
            cols += [j, i, i, j]
            vals += [g / vi, -g / vi, g / vj, -g / vj]
            gvals += [g, -g, g, -g]
