"""Sections and segments with NEURON's meaning and units.

A section owns its per-segment values (``v``, ``diam``, ``cm`` and the range variables of
its mechanisms) as small arrays. When the simulation builds its node arrays, these
arrays become views into the simulation's arrays, so reading and writing through a
section or a segment always reaches the one state of the simulation.
"""

import numpy as np

from ._errors import CableError
from ._ions import ion_variable

__all__ = ["Section", "Segment"]


def _positive(owner, name, value):
    try:
        value = float(value)
    except (TypeError, ValueError) as err:
        raise CableError(f"{owner}.{name} must be a number, got {value!r}") from err
    if not np.isfinite(value) or value <= 0:
        raise CableError(f"{owner}.{name} must be positive and finite, got {value!r}")
    return value


def _resample(values, nseg):
    """Piecewise-constant resampling of per-segment values to a new nseg (NEURON keeps
    the value of the old segment that contains each new segment's centre)."""
    old = len(values)
    centres = (np.arange(nseg) + 0.5) / nseg
    return values[np.minimum((centres * old).astype(int), old - 1)].copy()


class Section:
    """An unbranched cable (NEURON's ``Section``).

    Parameters
    ----------
    name : str, optional
    sim : Simulation, optional
        The owning simulation; the default simulation when omitted.
    L : float [um], optional
        Length (default 100).
    diam : float [um], optional
        Diameter of every segment (default 500, as NEURON).
    nseg : int, optional
        Number of segments (default 1).
    Ra : float [ohm cm], optional
        Axial resistivity (default 35.4).
    cm : float [uF/cm2], optional
        Specific membrane capacitance (default 1).
    """

    def __init__(self, name=None, *, sim=None, L=100.0, diam=500.0, nseg=1, Ra=35.4, cm=1.0):
        if sim is None:
            from ._default import default_simulation

            sim = default_simulation()
        self.sim = sim
        self.name = name if name is not None else f"section[{len(sim.sections)}]"
        self._L = _positive(self.name, "L", L)
        self._Ra = _positive(self.name, "Ra", Ra)
        self._nseg = 1
        self.parent = None  # (parent Section, x) or None
        self.child_end = 0  # which end of this section attaches to the parent
        self.children = []
        self.mechanisms = {}  # name -> spec, in insertion order
        self._pt3d = np.zeros((0, 4))  # x, y, z, diam [um]
        diam = _positive(self.name, "diam", diam)
        cm = _positive(self.name, "cm", cm)
        self._data = {"v": np.array([-65.0]), "diam": np.array([diam]), "cm": np.array([cm])}
        self.nseg = nseg
        sim._add_section(self)

    # -- scalar properties -------------------------------------------------------------
    def __repr__(self):
        return self.name

    @property
    def nseg(self):
        """int: number of segments (>= 1). Changing it keeps each range variable's value at
        the old segment that contains each new segment's centre."""
        return self._nseg

    @nseg.setter
    def nseg(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise CableError(f"{self.name}.nseg must be an integer >= 1, got {value!r}")
        if value != self._nseg:
            self._data = {k: _resample(a, int(value)) for k, a in self._data.items()}
            self._nseg = int(value)
            self.sim._structure_changed()

    @property
    def L(self):
        """float [um]: length; with 3D points, their arc length."""
        if len(self._pt3d) >= 2:
            return float(self.geometry().L)
        return self._L

    @L.setter
    def L(self, value):
        value = _positive(self.name, "L", value)
        if len(self._pt3d) >= 2:
            # NEURON scales the 3D points along the section so that their arc length is L.
            arc = self.geometry().L
            p0 = self._pt3d[0, :3]
            self._pt3d[:, :3] = p0 + (self._pt3d[:, :3] - p0) * (value / arc)
        self._L = value
        self.sim._structure_changed()

    @property
    def Ra(self):
        """float [ohm cm]: axial resistivity."""
        return self._Ra

    @Ra.setter
    def Ra(self, value):
        self._Ra = _positive(self.name, "Ra", value)
        self.sim._structure_changed()

    @property
    def diam(self):
        """float [um]: diameter at the section's centre (setting sets every segment, and
        every 3D point when the section has them)."""
        return float(self(0.5).diam)

    @diam.setter
    def diam(self, value):
        value = _positive(self.name, "diam", value)
        if len(self._pt3d):
            self._pt3d[:, 3] = value
        self._data["diam"][:] = value
        self.sim._structure_changed()

    @property
    def cm(self):
        """float [uF/cm2]: membrane capacitance at the centre (setting sets all segments)."""
        return float(self(0.5).cm)

    @cm.setter
    def cm(self, value):
        self._data["cm"][:] = _positive(self.name, "cm", value)
        self.sim._structure_changed()

    # -- topology ----------------------------------------------------------------------
    def connect(self, parent, x=None, child_end=None):
        """Attach this section's ``child_end`` to ``parent`` at ``x`` (NEURON's connect).

        Accepts ``child.connect(parent(1))``, ``child.connect(parent(1), 0)`` and
        ``child.connect(parent, 1, 0)``. Returns self.
        """
        if isinstance(parent, Segment):
            # connect(parent(x)) or connect(parent(x), child_end): the second argument is
            # the child's end
            if child_end is not None:
                raise CableError(f"{self.name}.connect(parent(x), child_end) takes two arguments, got three")
            child_end = 0 if x is None else x
            parent, x = parent.sec, parent.x
        x = 1.0 if x is None else x
        child_end = 0 if child_end is None else child_end
        if not isinstance(parent, Section):
            raise CableError(f"{self.name}.connect: parent must be a Section or Segment, got {parent!r}")
        if parent.sim is not self.sim:
            raise CableError(f"cannot connect {self.name} to {parent.name}: they belong to different simulations")
        if child_end not in (0, 1):
            raise CableError(f"{self.name}.connect: child end must be 0 or 1, got {child_end!r}")
        if not 0 <= float(x) <= 1:
            raise CableError(f"{self.name}.connect: parent location must lie in [0, 1], got {x!r}")
        node = parent
        while node is not None:
            if node is self:
                what = "itself" if parent is self else f"{parent.name}, which would make a loop"
                raise CableError(f"cannot connect {self.name} to {what}; sections must form a tree")
            node = node.parent[0] if node.parent else None
        if self.parent is not None:
            self.parent[0].children.remove(self)
        self.parent = (parent, float(x))
        self.child_end = int(child_end)
        parent.children.append(self)
        self.sim._structure_changed()
        return self

    def disconnect(self):
        """Detach this section from its parent (it becomes a root)."""
        if self.parent is not None:
            self.parent[0].children.remove(self)
            self.parent = None
            self.sim._structure_changed()

    def trueparentseg(self):
        """The parent segment this section attaches to, or None for a root."""
        return None if self.parent is None else self.parent[0](self.parent[1])

    # -- mechanisms --------------------------------------------------------------------
    def insert(self, name):
        """Insert a density mechanism by name (``"hh"``, ``"pas"`` or a registered one)
        in every segment. Returns self, so calls chain."""
        spec = self.sim.mechanism(name)
        if spec.is_point:
            raise CableError(f"{name!r} is a point process; create it with {name}(seg), not insert")
        if name not in self.mechanisms:
            self.mechanisms[name] = spec
            for pname, default in spec.parameters.items():
                self._data[(name, pname)] = np.full(self._nseg, float(default))
            for sname in spec.states + spec.assigned:
                self._data[(name, sname)] = np.zeros(self._nseg)
            for _, cur in spec.ion_currents:
                self._data[(name, cur)] = np.zeros(self._nseg)
            for cur in spec.nonspecific:
                self._data[(name, cur)] = np.zeros(self._nseg)
            self.sim._structure_changed()
        return self

    def uninsert(self, name):
        """Remove a density mechanism from every segment."""
        if name not in self.mechanisms:
            raise CableError(f"{name!r} is not inserted in {self.name}")
        del self.mechanisms[name]
        for key in [k for k in self._data if isinstance(k, tuple) and k[0] == name]:
            del self._data[key]
        self.sim._structure_changed()

    def has_membrane(self, name):
        """True when the density mechanism ``name`` is inserted."""
        return name in self.mechanisms

    def psection(self):
        """A dict describing the section, like NEURON's ``sec.psection()``."""
        return {
            "name": self.name,
            "morphology": {"L": self.L, "diam": [s.diam for s in self], "nseg": self.nseg},
            "Ra": self.Ra,
            "cm": [s.cm for s in self],
            "parent": None if self.parent is None else f"{self.parent[0].name}({self.parent[1]:g})",
            "density_mechs": {
                m: {p: list(self._data[(m, p)]) for p in spec.parameters} for m, spec in self.mechanisms.items()
            },
            "point_processes": {pp.spec.name: 1 for pp in self.sim._point_processes if pp.seg.sec is self},
        }

    # -- 3D points ---------------------------------------------------------------------
    def pt3dadd(self, x, y, z, diam):
        """Append a 3D point [um] with its diameter [um]."""
        point = np.array([[x, y, z, diam]], dtype=float)
        if not np.all(np.isfinite(point)) or diam < 0:
            raise CableError(f"{self.name}.pt3dadd: point ({x}, {y}, {z}) diam {diam} must be finite, diam >= 0")
        self._pt3d = np.vstack([self._pt3d, point])
        self.sim._structure_changed()

    def pt3dclear(self):
        """Remove all 3D points (the section keeps its current L and diam)."""
        if len(self._pt3d) >= 2:
            self._L = self.L
            self._data["diam"][:] = self.geometry().diam
        self._pt3d = np.zeros((0, 4))
        self.sim._structure_changed()

    def n3d(self):
        """int: number of 3D points."""
        return len(self._pt3d)

    def x3d(self, i):
        return float(self._pt3d[i, 0])

    def y3d(self, i):
        return float(self._pt3d[i, 1])

    def z3d(self, i):
        return float(self._pt3d[i, 2])

    def diam3d(self, i):
        return float(self._pt3d[i, 3])

    def arc3d(self, i):
        """float [um]: arc length from the first 3D point to point i."""
        d = np.linalg.norm(np.diff(self._pt3d[: i + 1, :3], axis=0), axis=1)
        return float(d.sum())

    def geometry(self):
        """Per-segment geometry (areas, volumes, half-segment resistances) as a
        :class:`geometry.SegmentGeometry`, from the 3D points when there are at least two,
        otherwise from ``L`` and the segment diameters (cylinders)."""
        from geometry import segment_geometry, stylized_geometry

        if len(self._pt3d) >= 2:
            p = self._pt3d
            return segment_geometry(p[:, 0], p[:, 1], p[:, 2], p[:, 3], self._nseg)
        return stylized_geometry(self._L, self._data["diam"], self._nseg)

    # -- segments ----------------------------------------------------------------------
    def __call__(self, x):
        try:
            x = float(x)
        except (TypeError, ValueError) as err:
            raise CableError(f"{self.name}(x): x must be a number in [0, 1], got {x!r}") from err
        if not 0 <= x <= 1:
            raise CableError(f"{self.name}(x): x must lie in [0, 1], got {x}")
        return Segment(self, x)

    def __iter__(self):
        """The segments at their centres, from x = 0 to 1 (end nodes excluded)."""
        n = self._nseg
        return (Segment(self, (i + 0.5) / n) for i in range(n))

    def allseg(self):
        """All nodes: the 0 end, every segment, the 1 end."""
        yield Segment(self, 0.0)
        yield from self
        yield Segment(self, 1.0)


class Segment:
    """A location on a section; reads and writes its segment's values (NEURON's ``sec(x)``).

    ``sec(0)`` and ``sec(1)`` are the zero-area nodes at the section's ends.
    """

    __slots__ = ("sec", "x")

    def __init__(self, sec, x):
        object.__setattr__(self, "sec", sec)
        object.__setattr__(self, "x", x)

    def __repr__(self):
        return f"{self.sec.name}({self.x:g})"

    def __eq__(self, other):
        return isinstance(other, Segment) and other.sec is self.sec and other.index == self.index

    def __hash__(self):
        return hash((id(self.sec), self.index))

    @property
    def index(self):
        """int: the segment index, or -1 / nseg for the 0 / 1 end node."""
        n = self.sec.nseg
        if self.x == 0:
            return -1
        if self.x == 1:
            return n
        return min(int(self.x * n), n - 1)

    @property
    def is_end(self):
        return self.x in (0.0, 1.0)

    @property
    def node_index(self):
        """int: this location's node in the simulation's arrays."""
        return self.sec.sim._tree_for_access().node_of(self.sec, self.x)

    # -- values --------------------------------------------------------------------
    def _get(self, key):
        return float(self.sec._data[key][self.index])

    def _set(self, key, value):
        self.sec._data[key][self.index] = value

    @property
    def v(self):
        """float [mV]: membrane potential."""
        if self.is_end:
            sim = self.sec.sim
            return float(sim.y[self.node_index])
        return self._get("v")

    @v.setter
    def v(self, value):
        if self.is_end:
            sim = self.sec.sim
            sim.y[self.node_index] = value
        else:
            self._set("v", value)

    @property
    def diam(self):
        """float [um]: segment diameter (with 3D points, NEURON's average over the segment)."""
        if len(self.sec._pt3d) >= 2:
            return float(self.sec.geometry().diam[self._interior()])
        return self._get("diam")

    @diam.setter
    def diam(self, value):
        value = _positive(repr(self), "diam", value)
        self._set("diam", value)
        self.sec.sim._structure_changed()

    @property
    def cm(self):
        """float [uF/cm2]: specific membrane capacitance."""
        return self._get("cm") if not self.is_end else 0.0

    @cm.setter
    def cm(self, value):
        self._set("cm", _positive(repr(self), "cm", value))
        self.sec.sim._structure_changed()

    def _interior(self):
        return min(max(self.index, 0), self.sec.nseg - 1)

    def area(self):
        """float [um2]: membrane area of the segment (0 at the end nodes)."""
        return 0.0 if self.is_end else float(self.sec.geometry().area[self.index])

    def volume(self):
        """float [um3]: volume of the segment (0 at the end nodes)."""
        return 0.0 if self.is_end else float(self.sec.geometry().volume[self.index])

    def ri(self):
        """float [MOhm]: axial resistance between this node and its parent node
        (1e30 for a root node, as NEURON)."""
        tree = self.sec.sim._tree_for_access()
        g = tree.g_axial[self.node_index]
        return 1e30 if g == 0 else float(1.0 / g)

    @property
    def hoc_internal_name(self):
        return repr(self)

    # -- references for recording ----------------------------------------------------
    @property
    def _ref_v(self):
        from ._record import Ref

        return Ref(self, "v")

    def point_processes(self):
        """The point processes located at this segment."""
        return [pp for pp in self.sec.sim._point_processes if pp.seg == self]

    # -- mechanism and ion variables -------------------------------------------------
    def __getattr__(self, name):
        sec = self.sec
        if name in sec.mechanisms:
            return MechanismView(self, name)
        if name.startswith("_ref_"):
            from ._record import Ref

            return Ref(self, name[5:])
        key = self._range_key(name)
        if key is None:
            raise AttributeError(
                f"{self!r} has no variable {name!r}; inserted mechanisms: {list(sec.mechanisms)}"
            )
        if key[0] == "ion":
            return float(sec.sim._ion_value(self, key[1], key[2]))
        return self._get(key)

    def __setattr__(self, name, value):
        if name in type(self).__dict__ or name in ("sec", "x"):
            object.__setattr__(self, name, value)
            return
        key = self._range_key(name)
        if key is None:
            raise AttributeError(
                f"cannot set {name!r} on {self!r}: no such variable; inserted mechanisms: {list(self.sec.mechanisms)}"
            )
        if key[0] == "ion":
            self.sec.sim._set_ion_value(self, key[1], key[2], value)
        else:
            self._set(key, float(value))

    def _range_key(self, name):
        """Map ``gnabar_hh`` to ``("hh", "gnabar")`` and ``ena`` to ``("ion", "na", "e")``."""
        for mech in self.sec.mechanisms:
            suffix = "_" + mech
            if name.endswith(suffix) and (mech, name[: -len(suffix)]) in self.sec._data:
                return (mech, name[: -len(suffix)])
        ion = ion_variable(name, self.sec.sim.ion_names())
        if ion is not None:
            return ("ion",) + ion
        return None


class MechanismView:
    """``seg.hh``: the range variables of one mechanism at one segment."""

    __slots__ = ("_seg", "_name")

    def __init__(self, seg, name):
        object.__setattr__(self, "_seg", seg)
        object.__setattr__(self, "_name", name)

    def __repr__(self):
        return f"{self._seg!r}.{self._name}"

    def _key(self, attr):
        key = (self._name, attr)
        if key not in self._seg.sec._data:
            spec = self._seg.sec.mechanisms[self._name]
            raise AttributeError(f"mechanism {self._name!r} has no variable {attr!r}; it has {list(spec.range_names)}")
        return key

    def __getattr__(self, attr):
        if attr.startswith("_ref_"):
            from ._record import Ref

            return Ref(self._seg, f"{attr[5:]}_{self._name}")
        return self._seg._get(self._key(attr))

    def __setattr__(self, attr, value):
        self._seg._set(self._key(attr), float(value))
