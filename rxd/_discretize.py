"""1D discretization: one node per segment per region, volumes, areas, and the
finite-volume diffusion conductances between neighbouring nodes.

Diffusion between two neighbouring nodes goes through their two half-segments in series:
1/g = (dx_a / 2) / (d A_a) + (dx_b / 2) / (d A_b) [ms/um3], with A the cross-section of the
region in each segment. Where several sections meet at a section end (a point with no
volume), each arm's half-segment conductance g_k joins the others as a star, and the star
is replaced by its exact equivalent between every pair of arms, g_ij = g_i g_j / sum g
(the point holds no mass, so mass is conserved and nothing is stored there). Ends that
meet nothing are sealed (no flux).
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["SorData", "discretize", "diffusion_pairs"]


@dataclass
class SorData:
    """Nodes of one species (or a membrane) in one region.

    Attributes
    ----------
    secs : list of Section
    sec_id : ndarray of int, shape (n,)  index into secs
    seg_index : ndarray of int, shape (n,)
    x : ndarray, shape (n,)  segment centres [0..1]
    volume : ndarray, shape (n,) [um3]
    area : ndarray, shape (n,) [um2]
    dx : ndarray, shape (n,) [um]
    cross : ndarray, shape (n,) [um2]  cross-section for diffusion
    lookup : dict (id(sec), seg index) -> node position
    keys : list of (id(sec), seg index) in node order
    """

    secs: list
    sec_id: np.ndarray
    seg_index: np.ndarray
    x: np.ndarray
    volume: np.ndarray
    area: np.ndarray
    dx: np.ndarray
    cross: np.ndarray
    lookup: dict
    keys: list

    @property
    def n(self):
        return len(self.x)


def discretize(region):
    """The nodes of a region: one per segment of each of its sections."""
    secs = region.secs
    geo = region.geometry
    sec_id, seg_index, x, vol, area, dx, cross = [], [], [], [], [], [], []
    for k, sec in enumerate(secs):
        g = sec.geometry()
        n = sec.nseg
        diam = g.diam
        h = np.full(n, g.L / n)
        sec_id.append(np.full(n, k))
        seg_index.append(np.arange(n))
        x.append((np.arange(n) + 0.5) / n)
        vol.append(geo.volumes(diam, h, g.volume, g.area))
        area.append(geo.surface_areas(diam, h, g.volume, g.area))
        dx.append(h)
        cross.append(geo.cross_section(diam))
    cat = np.concatenate
    sec_id, seg_index = cat(sec_id), cat(seg_index)
    keys = [(id(secs[s]), int(i)) for s, i in zip(sec_id, seg_index)]
    lookup = {k: j for j, k in enumerate(keys)}
    return SorData(secs, sec_id, seg_index, cat(x), cat(vol), cat(area), cat(dx), cat(cross), lookup, keys)


def diffusion_pairs(data, d):
    """Pairs of neighbouring nodes and their diffusive conductance.

    Parameters
    ----------
    data : SorData
    d : float [um2/ms]

    Returns
    -------
    i, j : ndarray of int
    g : ndarray [um3/ms]
        The flux from j to i is g (c_j - c_i) [mM um3/ms].
    """
    half = np.where(data.cross > 0, d * data.cross / (0.5 * data.dx), 0.0)  # half-segment conductance
    I, J, G = [], [], []
    # within sections: consecutive nodes of the same section
    same = (data.sec_id[1:] == data.sec_id[:-1]) & (data.seg_index[1:] == data.seg_index[:-1] + 1)
    a = np.flatnonzero(same)
    b = a + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where((half[a] > 0) & (half[b] > 0), half[a] * half[b] / (half[a] + half[b]), 0.0)
    I.append(a)
    J.append(b)
    G.append(g)
    # junctions between sections of the region
    in_region = {id(s): k for k, s in enumerate(data.secs)}
    first = {}
    last = {}
    for j, (s, i) in enumerate(zip(data.sec_id, data.seg_index)):
        first.setdefault(s, j)
        last[s] = j
    stars = {}  # junction point -> list of (node, conductance)
    for k, sec in enumerate(data.secs):
        n = sec.nseg
        # the node of this section at its attached end
        near = first[k] if sec.child_end == 0 else last[k]
        if sec.parent is None:
            continue
        psec, px = sec.parent
        if id(psec) not in in_region:
            continue
        pk = in_region[id(psec)]
        if px in (0.0, 1.0):
            # a section end: a star point shared with the parent's end segment and siblings
            pnode = first[pk] if px == 0.0 else last[pk]
            point = (id(psec), px)
            star = stars.setdefault(point, [(pnode, half[pnode])])
            star.append((near, half[near]))
        else:
            pidx = min(int(px * psec.nseg), psec.nseg - 1)
            pnode = data.lookup[(id(psec), pidx)]
            I.append(np.array([near]))
            J.append(np.array([pnode]))
            G.append(np.array([half[near]]))
        del n
    for arms in stars.values():
        nodes = np.array([a for a, _ in arms])
        gs = np.array([g for _, g in arms])
        total = gs.sum()
        if total <= 0:
            continue
        ii, jj = np.triu_indices(len(nodes), 1)
        I.append(nodes[ii])
        J.append(nodes[jj])
        G.append(gs[ii] * gs[jj] / total)
    return np.concatenate(I), np.concatenate(J), np.concatenate(G)
