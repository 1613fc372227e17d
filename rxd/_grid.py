"""3D values on a dense grid: ``value_to_grid`` (NEURON's, and for several species at once)
and PyVista ``ImageData`` for volume rendering.

Grid convention: voxel ``(I, J, K)`` of a 3D region spans ``[I, I+1] dx`` in x (likewise y,
z) on the global lattice; a grid covers the smallest box of voxels holding the nodes, with
``origin`` the lower corner of its first voxel [um]. PyVista (``docs/rxd3d.md``, STYLE.md
point 10): ``ImageData`` with dimensions = voxels + 1, spacing and origin in um, one cell
array per species, flattened in Fortran order. PyVista is imported only by
:func:`to_pyvista`.
"""

from dataclasses import dataclass

import numpy as np

from ._errors import RxdError

__all__ = ["VoxelGrid", "nodes_to_grid", "to_pyvista", "value_to_grid"]


@dataclass(frozen=True)
class VoxelGrid:
    """Values of one or more species on one dense voxel grid.

    Attributes
    ----------
    origin : ndarray, shape (3,) [um]
        Lower corner of voxel ``[0, 0, 0]``.
    dx : float [um]
        Voxel edge.
    values : dict of str -> ndarray, shape (nx, ny, nz)
        Per species (``"ca"``, or ``"ca[er]"`` when a species appears in several regions)
        its concentrations [mM], indexed ``[i, j, k]``; ``fill`` outside its region.
    """

    origin: np.ndarray
    dx: float
    values: dict

    @property
    def shape(self):
        """tuple (nx, ny, nz): voxels per axis."""
        return next(iter(self.values.values())).shape

    def to_pyvista(self):
        """A ``pyvista.ImageData`` with one cell array per species (spacing, origin in um)."""
        import pyvista as pv  # lazy: rxd does not need PyVista otherwise

        grid = pv.ImageData(dimensions=np.array(self.shape) + 1, spacing=(self.dx,) * 3, origin=self.origin)
        for name, arr in self.values.items():
            grid.cell_data[name] = np.asarray(arr, dtype=float).ravel(order="F")
        return grid


def _parts(items):
    """(sor, positions or None) pairs from species on regions, species, node lists."""
    from ._nodes import Node, NodeList
    from ._species import Species, SpeciesOnRegion

    if isinstance(items, (Species, SpeciesOnRegion, NodeList, Node)):
        items = [items]
    out = []
    for it in items:
        if isinstance(it, SpeciesOnRegion):
            out.append((_voxel_part(it), None))
        elif isinstance(it, Species):
            out += [(_voxel_part(it[r]), None) for r in it.regions if r.secs3d]
            if not any(r.secs3d for r in it.regions):
                raise RxdError(f"value_to_grid: {it!r} lives in no 3D region")
        elif isinstance(it, (NodeList, Node)):
            nodes = [it] if isinstance(it, Node) else it
            groups = {}
            for nd in nodes:
                groups.setdefault(id(nd._sor), (nd._sor, []))[1].append(nd._k)
            out += [(sor, np.array(ks, dtype=np.intp)) for sor, ks in groups.values()]
        else:
            raise RxdError(
                f"value_to_grid: expected species on regions (ca[cyt]), species or node lists, got {it!r}"
            )
    if not out:
        raise RxdError("value_to_grid: nothing to put on the grid (no nodes)")
    return out


def _voxel_part(sor):
    """The species on a region itself, or the 3D part of one on a hybrid region."""
    from ._system import system_for

    system = system_for(sor.species.sim)
    system.sim._ensure_built()
    return system.parts(sor)[-1]


def _gather(parts, fill):
    """origin, dx and per part (name, ijk, values) of 3D parts."""
    from ._discretize3d import VoxelData
    from ._system import system_for

    got = []
    for sor, pos in parts:
        system = system_for(sor.species.sim)
        system.sim._ensure_built()
        data = system._disc(sor)
        if not isinstance(data, VoxelData):
            raise RxdError(f"value_to_grid: {sor!r} is 1D; only nodes of 3D regions have voxels")
        arr, start = system.storage(sor, 0)
        vals = arr[start : start + data.n]
        ijk = data.ijk
        if pos is not None:
            vals, ijk = vals[pos], ijk[pos]
        got.append((sor, data.voxel_dx, ijk, np.array(vals, dtype=float)))
    dxs = {dx for _, dx, _, _ in got}
    if len(dxs) > 1:
        raise RxdError(f"value_to_grid: the regions have different voxel sizes {sorted(dxs)}; one grid needs one dx")
    return got, dxs.pop()


def _names(sors):
    count = {}
    for sor in sors:
        count.setdefault(sor.species.name, set()).add(id(sor.region))
    return [sor.species.name if len(count[sor.species.name]) == 1 else repr(sor) for sor in sors]


def value_to_grid(items, *, fill=np.nan):
    """Several species (or regions) of 3D regions on one dense grid.

    Parameters
    ----------
    items : SpeciesOnRegion, Species, NodeList, or a list of them
        ``ca[cyt]``; a species (each of its 3D regions); or nodes.
    fill : float
        Value outside each species' region (default NaN, as NEURON's
        ``NodeList.value_to_grid``).

    Returns
    -------
    VoxelGrid
        Over the smallest box holding all the nodes.

    Raises
    ------
    RxdError
        1D nodes, or regions with different dx.

    Examples
    --------
    >>> import rxd
    >>> from cable import Simulation
    >>> sim = Simulation()
    >>> dend = sim.Section("dend", L=4, diam=1)
    >>> cyt = rxd.Region([dend], dimension=3, dx=0.5)
    >>> c = rxd.Species(cyt, d=1, name="c", initial=1e-4)
    >>> sim.finitialize(-65)
    >>> grid = rxd.value_to_grid([c[cyt]])
    >>> grid.shape, float(grid.dx), float(grid.values["c"][4, 1, 1])
    ((8, 2, 2), 0.5, 0.0001)
    """
    got, dx = _gather(_parts(items), fill)
    lo = np.min([ijk.min(axis=0) for _, _, ijk, _ in got if len(ijk)], axis=0)
    hi = np.max([ijk.max(axis=0) for _, _, ijk, _ in got if len(ijk)], axis=0) + 1
    shape = tuple(int(s) for s in hi - lo)
    names = _names([sor for sor, _, _, _ in got])
    values = {}
    for name, (_, _, ijk, vals) in zip(names, got):
        arr = values.get(name)
        if arr is None:
            arr = values[name] = np.full(shape, fill, dtype=float)
        q = ijk - lo
        arr[q[:, 0], q[:, 1], q[:, 2]] = vals
    return VoxelGrid(origin=lo * dx, dx=dx, values=values)


def nodes_to_grid(nodes, fill=np.nan):
    """NEURON's ``NodeList.value_to_grid()``: the nodes' values on a dense array over their
    bounding box (``fill`` elsewhere); the nodes must not share voxels."""
    got, _ = _gather(_parts(nodes), fill)
    ijk = np.concatenate([g[2] for g in got])
    vals = np.concatenate([g[3] for g in got])
    lo = ijk.min(axis=0)
    shape = tuple(int(s) for s in ijk.max(axis=0) - lo + 1)
    flat = np.ravel_multi_index(tuple((ijk - lo).T), shape)
    if len(np.unique(flat)) != len(flat):
        raise RxdError(
            "value_to_grid: several of the nodes share a voxel (species in regions on the same voxels); "
            "use rxd.value_to_grid([...]) for one array per species"
        )
    out = np.full(shape, fill, dtype=float)
    out.ravel()[flat] = vals
    return out


def to_pyvista(items, *, fill=0.0):
    """A ``pyvista.ImageData`` with one cell array per species, ready for
    ``plotter.add_volume(grid, scalars="ca")``.

    Parameters
    ----------
    items : SpeciesOnRegion, Species, NodeList, or a list of them
    fill : float
        Value outside the cell (default 0, which volume rendering shows as empty).

    Returns
    -------
    pyvista.ImageData
        dimensions = voxels + 1, spacing and origin in um, cell data in Fortran order.
    """
    return value_to_grid(items, fill=fill).to_pyvista()
