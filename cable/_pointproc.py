"""Point processes as objects located at a segment (``IClamp(seg)``, ``SEClamp(seg)``).

An object keeps its values in one-element arrays that become views into the
simulation's block arrays when the model is built.
"""

import numpy as np

from ._errors import CableError
from ._section import Segment

__all__ = ["PointProcessObject", "IClamp", "SEClamp", "ExpSyn", "Exp2Syn", "make_point_class"]


class PointProcessObject:
    """An instance of a point process at one segment.

    Parameters
    ----------
    seg : Segment
        Location (``sec(x)``).
    **values
        Initial values of parameters, e.g. ``amp=0.1``.
    """

    spec = None  # set by subclasses

    def __init__(self, seg, **values):
        if not isinstance(seg, Segment):
            raise CableError(f"{self.spec.name} needs a segment such as sec(0.5), got {seg!r}")
        object.__setattr__(self, "seg", seg)
        data = {p: np.array([float(d)]) for p, d in self.spec.parameters.items()}
        for name in self.spec.states + self.spec.assigned + tuple(self.spec.nonspecific):
            data[name] = np.zeros(1)
        for _, cur in self.spec.ion_currents:
            data[cur] = np.zeros(1)
        object.__setattr__(self, "_data", data)
        seg.sec.sim._add_point_process(self)
        for name, value in values.items():
            setattr(self, name, value)

    def __repr__(self):
        return f"{self.spec.name}[{self.seg!r}]"

    def _key(self, name):
        name = self.spec.aliases.get(name, name)
        if name not in self._data:
            raise AttributeError(f"{self.spec.name} has no variable {name!r}; it has {sorted(self._data)}")
        return name

    def __getattr__(self, name):
        if name.startswith("_ref_"):
            from ._record import Ref

            return Ref(self, self._key(name[5:]))
        if name.startswith("__"):
            raise AttributeError(name)
        return float(self._data[self._key(name)][0])

    def __setattr__(self, name, value):
        key = self._key(name)
        try:
            value = float(value)
        except (TypeError, ValueError) as err:
            raise CableError(f"{self!r}.{name} must be a number, got {value!r}") from err
        if not np.isfinite(value):
            raise CableError(f"{self!r}.{name} must be finite, got {value!r}")
        self._data[key][0] = value

    def get_segment(self):
        """The segment this point process is located at."""
        return self.seg

    def get_loc(self):
        """x of the location (NEURON's get_loc)."""
        return self.seg.x

    def net_send_at(self, t, flag, weights=None):
        """Schedule a self-event (NMODL ``net_send``) at time ``t`` [ms] with ``flag``;
        its NET_RECEIVE sees ``weights`` (None: zeros)."""
        self.seg.sec.sim._events.send_self(self, t, flag, weights)

    def net_event(self, t):
        """Emit an output event at time ``t`` [ms] to every NetCon from this point process."""
        self.seg.sec.sim._events.emit(self, t)


def make_point_class(spec):
    """A Python class for a point-process specification (``IClamp(seg, amp=...)``)."""
    return type(spec.name, (PointProcessObject,), {"spec": spec, "__doc__": f"Point process {spec.name}."})


from ._builtin import Exp2Syn_spec, ExpSyn_spec, IClamp_spec, SEClamp_spec  # noqa: E402

IClamp = make_point_class(IClamp_spec)
IClamp.__doc__ = """Current clamp (NEURON's IClamp): injects ``amp`` [nA] from ``delay`` [ms]
for ``dur`` [ms]; positive amp depolarizes. ``del`` is accepted for ``delay``."""
SEClamp = make_point_class(SEClamp_spec)
SEClamp.__doc__ = """Single-electrode voltage clamp (NEURON's SEClamp): clamps to ``amp1`` [mV]
for ``dur1`` [ms], then ``amp2`` for ``dur2``, then ``amp3`` for ``dur3``, through the series
resistance ``rs`` [MOhm]; ``i`` [nA] is the electrode current."""
ExpSyn = make_point_class(ExpSyn_spec)
ExpSyn.__doc__ = """Synapse with a single exponential decay (NEURON's ExpSyn): g [uS] decays with
``tau`` [ms]; an event of weight w [uS] adds w; i = g (v - e) [nA]."""
Exp2Syn = make_point_class(Exp2Syn_spec)
Exp2Syn.__doc__ = """Synapse with rise and decay (NEURON's Exp2Syn): g = B - A with time constants
``tau1`` < ``tau2`` [ms], normalized so that an event of weight w [uS] peaks at w;
i = g (v - e) [nA]."""
