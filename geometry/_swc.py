"""SWC files to sections with 3-D points, as NEURON 9's ``Import3d_SWC_read`` + ``instantiate``.

Why not MorphIO: MorphIO reads SWC with its own soma model (one soma object, neurites
cut at branch points) and gives 200 neurite sections and a 12-point soma for
``tc200.CNG.swc`` where NEURON makes 7 soma sections and 197 dendrites; it has no
NEURON-style wires, no soma-child diameter rule and no 3-point-cylinder sphere. A
NEURON-faithful reader is ~200 lines of numpy and Python, so it is written here.

The rules (from NEURON's documented behaviour, checked section by section against NEURON
9.0.2 by ``tests/reference/make_swc_refs.py``):

* Points are sorted by id; every parent id must be smaller than the id (so the single
  root is the first point). Coordinates and radii are read in single precision (NEURON
  scans them with ``%f``); ``diam = 2 * radius``.
* Sections are maximal runs of consecutive points (in id order), each the parent of the
  next, of one type. A point ends a section when it has no child, several children, a
  child that does not follow it in the file, or a child of another type -- except that a
  soma point whose next point is its soma child stays inside the section unless it has
  several soma children (the root point excepted from that exception).
* A root that ends at its first point (a single-point soma, or a 3-point soma in
  NeuroMorpho's convention: points 2 and 3 children of point 1, equal diameters, total
  length within 1 % of the diameter) becomes a 3-point cylinder along x with length and
  diameter equal to the point's diameter: points x - d/2, x, x + d/2.
* Every other section starts with a copy of its parent point; when the parent section is
  a soma and the child is not, that copy takes the diameter of the child's first own point.
* Where the child attaches (``parentx``): 1 (the parent's end) by default; 0.5 for a
  dendrite on a single-point soma and for a child of an interior soma point; 0 for a
  child of the root's first point, and for a branch off the first point of a dendrite that
  is itself wired to the soma (NEURON's ``connect2prox``).
* A "wire" (NEURON's ``pt3dstyle``, logical only) drops the parent-point copy: for a
  dendrite of more than one point on a single-point soma or on an interior soma point,
  and for a dendrite of more than one point on a soma point with several soma children.
* Sections left with one point, or with two points at the same place, are removed; their
  children move to the removed section's parent at the removed section's ``parentx``.
* Names are ``soma[k]``, ``axon[k]``, ``dend[k]``, ``apic[k]`` for types 1-4,
  ``dend_<t>[k]`` for other types >= 0 and ``minus_<t>[k]`` for negative ones, numbered
  per type in section order; the sections are returned ordered by type, then number
  (``h.allsec()`` order). Coordinates and diameters pass through ``%.8g`` as NEURON's
  ``pt3dadd`` strings do.
"""

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._errors import GeometryError

__all__ = ["SwcPoints", "load_swc", "read_swc"]

_FIELDS = ("id", "type", "x", "y", "z", "radius", "parent")
_TYPE_NAMES = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}


class SwcPoints(NamedTuple):
    """The points of an SWC file, sorted by id.

    Attributes
    ----------
    id, type : ndarray of int, shape (n,)
    xyz : ndarray, shape (n, 3) [um]
    diam : ndarray, shape (n,) [um]
        Twice the file's radius.
    parent : ndarray of int, shape (n,)
        Index (not id) of each point's parent, -1 for the root.
    line : ndarray of int, shape (n,)
        1-based line number of each point in the file, for messages.
    """

    id: np.ndarray
    type: np.ndarray
    xyz: np.ndarray
    diam: np.ndarray
    parent: np.ndarray
    line: np.ndarray


class _Sec:
    """One section under construction (Import3d_Section's role)."""

    def __init__(self, points, type_, parent=None, parentx=1.0):
        self.points = list(points)  # point indices; the first is the parent copy if parent
        self.type = int(type_)
        self.parent = parent
        self.parentx = parentx
        self.wire = False  # drop the parent-point copy
        self.copy_child_diam = False  # parent copy takes the diameter of the next point


def _parse(text, name):
    """Rows of the 7 numeric fields and their line numbers; GeometryError on a bad line."""
    rows, lines = [], []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        body = raw.split("#", 1)[0].strip()
        if not body:
            continue
        fields = body.split()
        if len(fields) < 7:
            raise GeometryError(f"{name} line {lineno}: expected 7 fields (id type x y z radius parent), "
                                f"got {len(fields)}: {raw.strip()!r}")
        values = []
        for field, value in zip(_FIELDS, fields[:7]):
            try:
                v = float(value)
            except ValueError:
                raise GeometryError(f"{name} line {lineno}: {field} = {value!r} is not a number") from None
            if not np.isfinite(v):
                raise GeometryError(f"{name} line {lineno}: {field} = {value!r} is not finite")
            if field in ("id", "type", "parent") and not v.is_integer():
                raise GeometryError(f"{name} line {lineno}: {field} = {value!r} is not an integer")
            values.append(v)
        if values[5] < 0:
            raise GeometryError(f"{name} line {lineno}: point {int(values[0])} has a negative radius {fields[5]}")
        rows.append(values)
        lines.append(lineno)
    if not rows:
        raise GeometryError(f"{name}: no points")
    return np.array(rows), np.array(lines)


def _check_tree(ids, pids, lines, name):
    """Parent indices of points sorted by id; GeometryError for duplicates, missing parents,
    several roots, cycles, or a parent listed after its child."""
    dup = np.flatnonzero(ids[1:] == ids[:-1])
    if dup.size:
        i = dup[0]
        raise GeometryError(f"{name} lines {lines[i]} and {lines[i + 1]}: duplicate point id {ids[i]}")
    n = ids.size
    is_root = pids < 0
    pos = np.searchsorted(ids, pids)
    pos_c = np.minimum(pos, n - 1)
    missing = ~is_root & (ids[pos_c] != pids)
    if missing.any():
        i = np.flatnonzero(missing)[0]
        raise GeometryError(f"{name} line {lines[i]}: point {ids[i]} has parent id {pids[i]}, "
                            "which no point has")
    parent = np.where(is_root, -1, pos_c)
    roots = np.flatnonzero(is_root)
    # follow parents to a root by pointer doubling; points that never get there are on
    # or behind a cycle
    anc = np.append(np.where(is_root, n, parent), n)
    for _ in range(int(np.ceil(np.log2(n + 1))) + 1):
        anc = anc[anc]
    stuck = np.flatnonzero(anc[:n] != n)
    if stuck.size:
        i = int(stuck[0])
        seen = []
        while i not in seen:
            seen.append(i)
            i = int(parent[i])
        cyc = seen[seen.index(i):]
        where = ", ".join(f"{ids[j]} (line {lines[j]})" for j in cyc)
        raise GeometryError(f"{name}: points {where} form a cycle of parents")
    if roots.size != 1:
        where = ", ".join(str(lines[r]) for r in roots)
        raise GeometryError(f"{name}: {roots.size} root points (parent -1) at lines {where}; "
                            "expected one tree")
    late = np.flatnonzero(~is_root & (pids >= ids))
    if late.size:
        i = late[0]
        raise GeometryError(f"{name} line {lines[i]}: point {ids[i]} has parent id {pids[i]}, not smaller "
                            "than its own id (SWC and NEURON list a parent before its children)")
    return parent


def read_swc(path):
    """Read and check the points of an SWC file.

    Parameters
    ----------
    path : str or path-like
        The SWC file: lines ``id type x y z radius parent`` [um], ``#`` comments.

    Returns
    -------
    SwcPoints
        The points sorted by id, with parent indices.

    Raises
    ------
    GeometryError
        A line that does not hold 7 numbers, a non-integer id, type or parent, a negative
        radius, a duplicate id, a parent id that no point has, a cycle, several roots, or a
        parent id not smaller than its child's id. The message names the line and point.
    """
    path = Path(path)
    name = path.name
    try:
        text = path.read_text()
    except OSError as err:
        raise GeometryError(f"cannot read SWC file {str(path)!r}: {err}") from err
    rows, lines = _parse(text, name)
    order = np.argsort(rows[:, 0], kind="stable")
    rows, lines = rows[order], lines[order]
    ids = rows[:, 0].astype(np.int64)
    pids = rows[:, 6].astype(np.int64)
    parent = _check_tree(ids, pids, lines, name)
    # NEURON's reader scans the numbers in single precision (sscanf %f)
    single = rows[:, 2:6].astype(np.float32).astype(np.float64)
    return SwcPoints(id=ids, type=rows[:, 1].astype(np.int64), xyz=single[:, :3],
                     diam=single[:, 3] * 2, parent=parent, line=lines)


def _branch_counts(p):
    """Per point: Import3d's child score (1 = continues the section) and connect2prox."""
    n = p.id.size
    score = np.zeros(n)
    prox = np.zeros(n, dtype=bool)
    t, par = p.type, p.parent
    for i in range(n):
        q = par[i]
        if q < 0:
            continue
        score[q] += 1
        if q != i - 1:  # a child that does not follow its parent in the file
            score[q] += 0.01
            # a branch off the first point of a dendrite wired to the soma attaches at 0
            if (q > 1 and t[q] != 1 and t[par[q]] == 1) or (q == 0 and t[0] != 1):
                prox[i] = True
                score[q] = 1
        if t[q] != t[i]:
            score[q] += 0.01
    return score, prox


def _three_point_soma(p, score):
    """NeuroMorpho's 3-point soma (points 1 and 2 children of 0, no children of their own,
    equal diameters, length within 1 % of the diameter)."""
    if p.id.size < 3 or not (p.parent[1] == 0 and p.parent[2] == 0):
        return False
    if score[1] != 0 or score[2] != 0 or not (p.diam[1] == p.diam[0] == p.diam[2]) or p.diam[0] <= 0:
        return False
    length = sum(float(np.sqrt(np.sum((p.xyz[i] - p.xyz[0]) ** 2))) for i in (1, 2))
    return abs(length / p.diam[0] - 1) < 0.01


def _sections(p):
    """Import3d's sections as lists of point indices, with parents, parentx and wires."""
    n = p.id.size
    t = p.type
    par = p.parent.copy()
    score, prox = _branch_counts(p)
    soma = t == 1
    n_soma_children = np.zeros(n, dtype=np.int64)
    kids = np.flatnonzero(soma & (par >= 0))
    kids = kids[soma[par[kids]]]
    np.add.at(n_soma_children, par[kids], 1)
    sphere3 = int(soma.sum()) == 3 and _three_point_soma(p, score)
    if sphere3:
        par[2] = 1  # NEURON re-parents the third point so the soma is one section
    # consecutive soma points, parent then child, stay in one section
    # unless the parent (not the root) has several soma children
    cont = np.flatnonzero(soma[:-1] & soma[1:] & (par[1:] == np.arange(n - 1)))
    cont = cont[~((cont != 0) & (n_soma_children[cont] > 1))]
    score[cont] = 1
    ends = np.flatnonzero(score != 1)
    sec_of = np.searchsorted(ends, np.arange(n), side="left")
    sec_of[0] = 0
    starts = np.flatnonzero(np.diff(sec_of, prepend=-1))
    bounds = np.append(starts, n)

    secs = []
    for k, (first, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        if k == 0:
            secs.append(_Sec(range(0, 1 if sphere3 else stop), t[0]))
            continue
        q = par[first]
        ps = secs[sec_of[q]]
        sec = _Sec([q, *range(first, stop)], t[first], parent=ps)
        own = stop - first
        dend_on_soma = ps.type == 1 and t[first] != 1
        handled = False
        if ps is secs[0]:
            handled = True
            if dend_on_soma and len(ps.points) == 1:  # single-point soma
                sec.parentx = 0.5
                sec.wire = own > 1
            elif q == ps.points[0]:  # the root's first point
                sec.parentx = 0.0
                sec.wire = t[first] != 1 and n_soma_children[q] > 1
            else:
                handled = False
        if not handled and ps.type == 1:
            last = ps.points[-1]
            if q < last:  # an interior soma point
                sec.parentx = 0.5
                sec.wire = dend_on_soma and own > 1
            elif own > 1 and n_soma_children[q] > 1 and t[first] != 1:
                sec.wire = True
        sec.copy_child_diam = ps.type == 1 and sec.type != 1
        if prox[first]:
            sec.parentx = 0.0
        secs.append(sec)
    return _drop_degenerate(secs, p)


def _drop_degenerate(secs, p):
    """Remove non-root sections with one point or two coincident points (NEURON's
    chk_valid), last first; children move to the removed section's parent."""
    for i in range(len(secs) - 1, 0, -1):
        sec = secs[i]
        pts = sec.points[1:] if sec.wire else sec.points
        if len(pts) <= 1 or (len(pts) == 2 and np.array_equal(p.xyz[pts[0]], p.xyz[pts[1]])):
            del secs[i]
            for child in secs[i:]:
                if child.parent is sec:
                    child.parent, child.parentx = sec.parent, sec.parentx
    return secs


def _type_name(t):
    if t in _TYPE_NAMES:
        return _TYPE_NAMES[t]
    return f"minus_{-t}" if t < 0 else f"dend_{t}"


def _as_neuron_string(values):
    """Values as NEURON's pt3dadd receives them (formatted with %.8g)."""
    return np.array([float(f"{v:.8g}") for v in values])


def _section_points(sec, p):
    """The (n, 4) 3-D points x, y, z, diam [um] NEURON gives the section."""
    pts = np.column_stack([p.xyz[sec.points], p.diam[sec.points]])
    if sec.copy_child_diam:
        pts[0, 3] = pts[1, 3]
    if sec.wire:
        pts = pts[1:]
    if len(pts) == 1:  # the root sphere as a 3-point cylinder along x, L = diam
        x, y, z, d = pts[0]
        pts = np.array([[x - d / 2, y, z, d], [x, y, z, d], [x + d / 2, y, z, d]])
    return np.column_stack([_as_neuron_string(c) for c in pts.T])


def load_swc(path, sim=None):
    """Create the sections of an SWC morphology as NEURON 9's Import3d does.

    Parameters
    ----------
    path : str or path-like
        SWC file (``id type x y z radius parent`` per line [um]).
    sim : cable.Simulation, optional
        Simulation that owns the new sections; the default simulation when omitted.

    Returns
    -------
    list of cable.Section
        In ``h.allsec()`` order (by type: soma, axon, dend, apic; then number), named
        ``soma[0]``, ``dend[k]``, ..., with NEURON's 3-D points, ``nseg = 1``, each child's
        0 end connected to its parent as NEURON connects it.

    Raises
    ------
    GeometryError
        Bad SWC input (see :func:`read_swc`); the message names the line and point.

    Notes
    -----
    The rules are listed in the module docstring of ``geometry._swc``. NEURON's
    ``pt3dstyle`` wires are logical only (they change neither ``L`` nor areas) and are
    not recorded; a wired dendrite starts at its own first point, which may lie outside
    the soma.

    Examples
    --------
    >>> from pathlib import Path
    >>> from cable import Simulation
    >>> swc = Path("..") / "shared" / "morphologies" / "mp_ma_40984_gc2.CNG.swc"
    >>> secs = load_swc(swc, sim=Simulation()) if swc.exists() else None
    >>> secs is None or (len(secs), secs[0].name, secs[0].n3d())
    (29, 'soma[0]', 3)
    """
    if sim is None:
        from cable import default_simulation  # lazy: geometry does not depend on cable

        sim = default_simulation()
    p = read_swc(path)
    secs = _sections(p)
    counts = {}
    names = []
    for sec in secs:
        k = counts.get(sec.type, 0)
        counts[sec.type] = k + 1
        names.append(f"{_type_name(sec.type)}[{k}]")
    made = {}
    for sec, name in zip(secs, names):
        s = sim.Section(name)
        for x, y, z, d in _section_points(sec, p):
            s.pt3dadd(x, y, z, d)
        made[id(sec)] = s
    for sec in secs:
        if sec.parent is not None:
            made[id(sec)].connect(made[id(sec.parent)](sec.parentx))
    order = sorted(range(len(secs)), key=lambda i: (secs[i].type, i))
    return [made[id(secs[i])] for i in order]
