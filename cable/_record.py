"""Recording into numpy arrays: ``Ref`` (NEURON's ``_ref_x`` pointers) and ``Vector``."""

import numpy as np

from ._errors import CableError

__all__ = ["Ref", "Vector"]


class Ref:
    """A pointer to one variable: ``seg._ref_v``, ``seg._ref_gna_hh``, ``stim._ref_i``, ``h._ref_t``.

    Resolved to an (array, index) pair when a run starts, so recording gathers many
    values with one indexing operation per step.
    """

    def __init__(self, owner, name):
        self.owner = owner
        self.name = name

    def __repr__(self):
        return f"Ref({self.owner!r}, {self.name!r})"

    @property
    def sim(self):
        from ._section import Segment

        if isinstance(self.owner, Segment):
            return self.owner.sec.sim
        if hasattr(self.owner, "seg"):
            return self.owner.seg.sec.sim
        return self.owner  # a Simulation, for t

    def resolve(self):
        """Return ``(array, index)`` with the variable's current storage."""
        from ._section import Segment

        owner, name = self.owner, self.name
        if name == "t" and not isinstance(owner, Segment) and not hasattr(owner, "seg"):
            return owner._t_cell, 0
        if isinstance(owner, Segment):
            sim = owner.sec.sim
            if name == "v":
                return sim.y, owner.node_index
            key = owner._range_key(name)
            if key is None:
                raise CableError(f"cannot record {name!r} at {owner!r}: no such variable")
            if key[0] == "ion":
                return sim._ion_location(owner, key[1], key[2])
            arr = owner.sec._data[key]
            idx = owner.index
            return _base_index(arr, idx)
        arr = owner._data[name]
        return _base_index(arr, 0)

    @property
    def needs_currents(self):
        """True when the variable is computed from the state (a current, a conductance,
        a reversal potential), so it must be re-evaluated for an interpolated state."""
        from ._section import Segment

        owner, name = self.owner, self.name
        if name in ("t", "v", "rxd"):
            return False
        if isinstance(owner, Segment):
            key = owner._range_key(name)
            if key is None:
                return False
            if key[0] == "ion":
                return key[2] in ("i", "e")
            return key[1] not in owner.sec.mechanisms[key[0]].states
        spec = getattr(owner, "spec", None)
        return spec is not None and name not in spec.states

    def get(self):
        arr, i = self.resolve()
        return float(arr[i])

    def set(self, value):
        arr, i = self.resolve()
        arr[i] = value


def _base_index(view, i):
    """The base array and flat index of element i of a 1-D view."""
    base = view.base if view.base is not None else view
    if base is view or base.ndim != 1:
        return view, i
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // view.itemsize
    step = view.strides[0] // view.itemsize
    return base, offset + step * i


class Vector:
    """A growable float64 vector (NEURON's ``Vector``) that can record a variable.

    Parameters
    ----------
    data : array_like or int, optional
        Initial contents, or a size (zeros).
    """

    def __init__(self, data=None):
        if data is None:
            self._a = np.zeros(0)
        elif np.isscalar(data):
            self._a = np.zeros(int(data))
        else:
            self._a = np.asarray(data, dtype=float).copy()
        self._recording = None

    def record(self, ref, Dt=None):
        """Record the variable ``ref`` at every step (or every ``Dt`` [ms]) from the next
        ``finitialize`` on. Returns self."""
        if not isinstance(ref, Ref):
            raise CableError(f"Vector.record needs a reference such as seg._ref_v or h._ref_t, got {ref!r}")
        if Dt is not None and not Dt > 0:
            raise CableError(f"Vector.record: Dt must be positive, got {Dt!r}")
        ref.sim._recorder.add(self, ref, Dt)
        return self

    def as_numpy(self):
        """The contents as a numpy array (a view while nothing is appended)."""
        if self._recording is not None:
            return self._recording()
        return self._a

    def __array__(self, dtype=None, copy=None):
        a = self.as_numpy()
        return a if dtype is None else a.astype(dtype)

    def __len__(self):
        return len(self.as_numpy())

    def size(self):
        return len(self)

    def __getitem__(self, i):
        return self.as_numpy()[i]

    def __iter__(self):
        return iter(self.as_numpy())

    def to_python(self):
        return list(self.as_numpy())

    def append(self, *values):
        """Append values (NEURON's ``Vector.append``); stops recording into this vector."""
        a = self.as_numpy()
        self._recording = None
        self._a = np.concatenate([a, np.asarray(values, dtype=float).ravel()])
        return self

    def resize(self, n):
        a = self.as_numpy()
        self._recording = None
        self._a = np.resize(a, int(n)) if n > len(a) else a[: int(n)].copy()
        return self

    def __repr__(self):
        return f"Vector({self.as_numpy()!r})"


class Recorder:
    """All recordings of a simulation, gathered per group of equal sampling."""

    def __init__(self, sim):
        self.sim = sim
        self._entries = {}  # id(vector) -> (vector, ref, Dt), in order of recording
        self._groups = {}
        self.intervals = []
        self._every = None
        self.needs_currents = False

    def add(self, vec, ref, Dt):
        self._entries.pop(id(vec), None)  # a vector records one thing: the last asked
        self._entries[id(vec)] = (vec, ref, Dt)

    @property
    def entries(self):
        """list of (vector, ref, Dt)."""
        return list(self._entries.values())

    def start(self):
        """Resolve references (after a build) and clear the buffers; called by finitialize."""
        groups = {}
        for vec, ref, Dt in self.entries:
            groups.setdefault(Dt, []).append((vec, ref))
        self._groups = {}
        self.intervals = [Dt for Dt in groups if Dt is not None]
        self.needs_currents = any(ref.needs_currents for _, ref, _ in self.entries)
        self._every = None
        for Dt, items in groups.items():
            g = _Group(Dt, items)
            self._groups[Dt] = g
            for col, (vec, _) in enumerate(items):
                vec._recording = g.column_getter(col)
        self._every = self._groups.get(None)

    def has_every_step(self):
        return None in self._groups

    def sample_times(self):
        """The recording intervals in use (not None)."""
        return self.intervals

    def record_step(self):
        if self._every is not None:
            self._every.sample()

    def record_interval(self, Dt):
        self._groups[Dt].sample()

    def next_time(self, Dt):
        return self._groups[Dt].count * Dt


class _Group:
    """Recordings with one sampling rule, gathered with one fancy index per source array."""

    def __init__(self, Dt, items):
        self.Dt = Dt
        self.refs = [ref for _, ref in items]
        by_array = {}
        for col, ref in enumerate(self.refs):
            arr, i = ref.resolve()
            entry = by_array.setdefault(id(arr), (arr, [], []))
            entry[1].append(i)
            entry[2].append(col)
        self.sources = [(a, np.array(i, dtype=np.intp), np.array(c, dtype=np.intp)) for a, i, c in by_array.values()]
        self.buf = np.zeros((256, len(self.refs)))
        self.count = 0

    def sample(self):
        if self.count == len(self.buf):
            self.buf = np.concatenate([self.buf, np.zeros_like(self.buf)])
        row = self.buf[self.count]
        for arr, idx, cols in self.sources:
            row[cols] = arr[idx]
        self.count += 1

    def column_getter(self, col):
        return lambda: self.buf[: self.count, col]
