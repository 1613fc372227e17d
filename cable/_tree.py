"""From sections to node arrays: ordering, parents, areas, capacitances and axial
conductances (the discretization layer, no simulation state).

Every section has one node per segment plus a zero-area node at its free end; a root
section also has a zero-area node at its 0 end. Nodes are numbered depth first from each
root, so that every node's parent has a smaller index (Hines ordering) and each section's
segment nodes are contiguous.
"""

from dataclasses import dataclass

import numpy as np

from ._units import axial_resistance_MOhm, capacitance_nF

__all__ = ["Tree", "build_tree"]


@dataclass
class Tree:
    """Node arrays of a simulation's cells.

    Attributes
    ----------
    parent : ndarray of int, shape (N,)
        Parent node, -1 for a root node.
    area_um2 : ndarray, shape (N,) [um2]
        Membrane area (0 at end nodes).
    cm : ndarray, shape (N,) [uF/cm2]
    C_nF : ndarray, shape (N,) [nF]
        Membrane capacitance of each node.
    g_axial : ndarray, shape (N,) [uS]
        Conductance between each node and its parent (0 for roots).
    seg_start : dict Section -> int
        First node of the section's segments (segments are contiguous).
    seg_step : dict Section -> int
        +1 when segment 0 has the smallest node index, -1 when the section is attached by
        its 1 end (segments stored in reverse).
    end_node : dict Section -> (int, int)
        Nodes of the section's 0 end and 1 end.
    sections : list of Section
        In node order.
    """

    parent: np.ndarray
    area_um2: np.ndarray
    cm: np.ndarray
    C_nF: np.ndarray
    g_axial: np.ndarray
    seg_start: dict
    seg_step: dict
    end_node: dict
    sections: list

    @property
    def n(self):
        return len(self.parent)

    def segment_nodes(self, sec):
        """Node indices of the section's segments, segment 0 first."""
        start, step = self.seg_start[sec], self.seg_step[sec]
        idx = start + np.arange(sec.nseg)
        return idx if step == 1 else idx[::-1]

    def segment_slice(self, sec):
        """A slice that selects the section's segments from a node array, segment 0 first."""
        start, n = self.seg_start[sec], sec.nseg
        if self.seg_step[sec] == 1:
            return slice(start, start + n)
        return slice(start + n - 1, start - 1 if start > 0 else None, -1)

    def node_of(self, sec, x):
        """Node index of location x on sec (an end node for x = 0 or 1)."""
        if x == 0:
            return self.end_node[sec][0]
        if x == 1:
            return self.end_node[sec][1]
        i = min(int(x * sec.nseg), sec.nseg - 1)
        start, step = self.seg_start[sec], self.seg_step[sec]
        return start + i if step == 1 else start + sec.nseg - 1 - i

    @property
    def is_chain(self):
        """True when every non-root node's parent is the node just before it (the matrix
        is tridiagonal)."""
        k = np.arange(1, self.n)
        p = self.parent[1:]
        return bool(np.all((p == k - 1) | (p < 0)))


def build_tree(sections):
    """Number the nodes of ``sections`` and compute their electrical arrays.

    Parameters
    ----------
    sections : list of Section
        All sections of a simulation (their parent links define the trees).

    Returns
    -------
    Tree
    """
    parent, area, cm, g = [], [], [], []
    seg_start, seg_step, end_node, order = {}, {}, {}, []

    def add(par, a, c, gax):
        parent.append(par)
        area.append(a)
        cm.append(c)
        g.append(gax)
        return len(parent) - 1

    def place(sec, attach_node):
        geo = sec.geometry()
        n = sec.nseg
        r_left = axial_resistance_MOhm(sec.Ra, geo.r_half_left)
        r_right = axial_resistance_MOhm(sec.Ra, geo.r_half_right)
        cms = sec._data["cm"]
        order.append(sec)
        if sec.child_end == 0:
            segs = range(n)
            to_attach, within, to_free = r_left[0], r_right[:-1] + r_left[1:], r_right[-1]
        else:
            segs = range(n - 1, -1, -1)
            to_attach, within, to_free = r_right[-1], (r_right[:-1] + r_left[1:])[::-1], r_left[0]
        first = None
        prev = attach_node
        for k, i in enumerate(segs):
            r = to_attach if k == 0 else within[k - 1]
            prev = add(prev, geo.area[i], cms[i], 1.0 / r)
            first = prev if first is None else first
        seg_start[sec] = first
        seg_step[sec] = 1 if sec.child_end == 0 else -1
        free = add(prev, 0.0, 0.0, 1.0 / to_free)
        end_node[sec] = (attach_node, free) if sec.child_end == 0 else (free, attach_node)
        for child in sec.children:
            px = child.parent[1]
            place(child, _node_of_placed(sec, px, seg_start, seg_step, end_node))

    for sec in sections:
        if sec.parent is None:
            root = add(-1, 0.0, 0.0, 0.0)
            place(sec, root)
    parent = np.array(parent, dtype=np.int64)
    area = np.array(area, dtype=float)
    cm = np.array(cm, dtype=float)
    g = np.array(g, dtype=float)
    return Tree(parent, area, cm, capacitance_nF(cm, area), g, seg_start, seg_step, end_node, order)


def _node_of_placed(sec, x, seg_start, seg_step, end_node):
    if x == 0:
        return end_node[sec][0]
    if x == 1:
        return end_node[sec][1]
    i = min(int(x * sec.nseg), sec.nseg - 1)
    return seg_start[sec] + (i if seg_step[sec] == 1 else sec.nseg - 1 - i)
