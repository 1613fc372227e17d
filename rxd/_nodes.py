"""Nodes: one compartment of one species in one region at one segment."""

import numpy as np

from cable import Ref, Section, Segment

from ._errors import RxdError

__all__ = ["Node", "NodeList"]


class _NodeRef(Ref):
    """``node._ref_concentration``: a pointer into the simulation's state vector."""

    def __init__(self, node):
        super().__init__(node.sim, "rxd")
        self.node = node

    def resolve(self):
        return self.node._storage()

    def __repr__(self):
        return f"Ref({self.node!r})"


class Node:
    """A compartment (NEURON's ``rxd`` node).

    Attributes
    ----------
    species : Species
    region : Region
    sec : Section
    index : int
        Segment index within the section.
    """

    __slots__ = ("_sor", "_k", "_data")

    def __init__(self, sor, k, data):
        self._sor = sor
        self._k = k
        self._data = data

    def __repr__(self):
        return f"Node({self._sor!r}, {self.sec.name}({self.x:.4g}))"

    @property
    def sim(self):
        return self._sor.species.sim

    @property
    def species(self):
        return self._sor.species

    @property
    def region(self):
        return self._sor.region

    @property
    def sec(self):
        return self._data.secs[self._data.sec_id[self._k]]

    @property
    def index(self):
        return int(self._data.seg_index[self._k])

    @property
    def x(self):
        """float: the segment centre's position along the section [0..1]."""
        return float(self._data.x[self._k])

    @property
    def x3d(self):
        """float [um]: in 3D the voxel centre's x; in 1D the distance along the section
        (x L)."""
        xyz = self._xyz()
        return float(xyz[0]) if xyz is not None else self.x * self.sec.L

    @property
    def y3d(self):
        """float [um]: the voxel centre's y (3D nodes only)."""
        return float(self._xyz(required=True)[1])

    @property
    def z3d(self):
        """float [um]: the voxel centre's z (3D nodes only)."""
        return float(self._xyz(required=True)[2])

    @property
    def ijk(self):
        """tuple of int: the voxel's global indices (3D nodes only); it spans
        ``[i, i+1] dx`` in x, likewise y and z."""
        self._xyz(required=True)
        return tuple(int(v) for v in self._data.ijk[self._k])

    def _xyz(self, required=False):
        ijk = getattr(self._data, "ijk", None)
        if ijk is None:
            if required:
                raise RxdError(f"{self!r} is a 1D node; voxel coordinates exist for 3D regions only")
            return None
        return (ijk[self._k] + 0.5) * self._data.voxel_dx

    @property
    def segment(self):
        """The cable segment of this node."""
        return self.sec(self.x)

    @property
    def volume(self):
        """float [um3]: the compartment's volume. On a border (a membrane), NEURON's
        convention: the border's area [um2]."""
        if self.region.is_border:
            return float(self._data.area[self._k])
        return float(self._data.volume[self._k])

    @property
    def surface_area(self):
        """float [um2]: the plasma membrane area facing the compartment (0 on a border,
        as NEURON)."""
        if self.region.is_border:
            return 0.0
        return float(self._data.area[self._k])

    @property
    def d(self):
        return self._sor.species.d

    def _storage(self):
        from ._system import system_for

        system = system_for(self.sim)
        return system.storage(self._sor, self._k)

    @property
    def concentration(self):
        """float [mM]: the node's value (read and write)."""
        arr, i = self._storage()
        return float(arr[i])

    @concentration.setter
    def concentration(self, value):
        value = float(value)
        if not np.isfinite(value):
            raise RxdError(f"{self!r}: concentration must be finite, got {value}")
        arr, i = self._storage()
        arr[i] = value

    value = concentration

    @property
    def _ref_concentration(self):
        return _NodeRef(self)

    _ref_value = _ref_concentration

    def satisfies(self, condition):
        """True when the node lies in ``condition``: a Section, a Segment, a Region or a
        Species."""
        if isinstance(condition, Section):
            return self.sec is condition
        if isinstance(condition, Segment):
            return self.sec is condition.sec and self.index == condition.index
        from ._region import Region

        if isinstance(condition, Region):
            return self.region is condition
        return self.species is condition


class NodeList(list):
    """A list of nodes with vectorized access (NEURON's ``NodeList``)."""

    def __call__(self, condition):
        """The nodes on a Section, Segment, Region or Species."""
        return NodeList([n for n in self if n.satisfies(condition)])

    def _gather(self):
        arrays = {}
        for j, n in enumerate(self):
            arr, i = n._storage()
            arrays.setdefault(id(arr), (arr, [], []))
            arrays[id(arr)][1].append(i)
            arrays[id(arr)][2].append(j)
        return arrays.values()

    @property
    def concentration(self):
        """ndarray [mM]: the values of all nodes (a copy)."""
        out = np.empty(len(self))
        for arr, idx, pos in self._gather():
            out[pos] = arr[idx]
        return out

    @concentration.setter
    def concentration(self, value):
        value = np.broadcast_to(np.asarray(value, dtype=float), (len(self),))
        if not np.all(np.isfinite(value)):
            raise RxdError("NodeList.concentration: values must be finite")
        for arr, idx, pos in self._gather():
            arr[idx] = value[pos]

    value = concentration

    @property
    def x(self):
        return np.array([n.x for n in self])

    @property
    def volume(self):
        return np.array([n.volume for n in self])

    @property
    def surface_area(self):
        return np.array([n.surface_area for n in self])

    @property
    def segment(self):
        return [n.segment for n in self]

    def value_to_grid(self):
        """The values of 3D nodes on a dense array over their bounding box of voxels, NaN
        elsewhere (NEURON's ``NodeList.value_to_grid``); index ``[i, j, k]`` is voxel
        ``min(ijk) + (i, j, k)``. For several species on one grid (with its origin) see
        :func:`rxd.value_to_grid`.

        Returns
        -------
        ndarray, shape (nx, ny, nz) [mM]
        """
        from ._grid import nodes_to_grid

        return nodes_to_grid(self)

    def to_pyvista(self, *, fill=0.0):
        """A ``pyvista.ImageData`` of the nodes (3D): one cell array per species (named
        ``species[region]`` when a species has nodes in several regions), spacing and origin
        in um, ``fill`` outside.

        Returns
        -------
        pyvista.ImageData
        """
        from ._grid import to_pyvista

        return to_pyvista(self, fill=fill)

    def __getitem__(self, key):
        item = super().__getitem__(key)
        return NodeList(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return NodeList(list(self) + list(other))
