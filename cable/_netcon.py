"""Network events: ``NetCon`` (threshold detection and delayed delivery) and the event
queue a simulation delivers from, on the fixed step and under CVODE alike.

Semantics are NEURON's: a voltage source fires when its potential crosses the
threshold upwards (on the fixed step at the end of the step where it first reaches it;
under CVODE at the time interpolated linearly between the two steps around the
crossing); every active NetCon from that source then sends an event that arrives at its
target ``delay`` ms later carrying its ``weight``. The fixed step delivers, before each
step, every event due by t + dt/2; CVODE stops exactly at each event time.

Point processes and artificial cells also send events to themselves (NMODL ``net_send``,
:meth:`EventQueue.send_self`) and to the NetCons whose source they are (``net_event``,
:meth:`EventQueue.emit`).
"""

import heapq
import itertools

import numpy as np

from ._errors import CableError
from ._record import Ref

__all__ = ["NetCon", "EventQueue"]


class _Weights(list):
    """``nc.weight``: a list of floats (``nc.weight[0] = 0.5``)."""

    def __setitem__(self, i, value):
        value = float(value)
        if not np.isfinite(value):
            raise CableError(f"NetCon weight must be finite, got {value}")
        super().__setitem__(i, value)


class NetCon:
    """A connection from a spike source to a target (NEURON's ``NetCon``).

    Parameters
    ----------
    source : Ref, artificial cell, point process or None
        ``seg._ref_v`` (threshold detection on that potential), a ``NetStim`` or other
        artificial cell, a point process that emits events, or None (events only by
        :meth:`event`).
    target : point process or artificial cell with a NET_RECEIVE, or None
    threshold : float [mV]
    delay : float [ms]
    weight : float or sequence of float
    sec : Section, optional
        Accepted for NEURON compatibility (the source reference names its segment).
    """

    def __init__(self, source, target=None, threshold=10.0, delay=1.0, weight=0.0, *, sec=None, sim=None):
        sim = sim or _sim_of(source) or _sim_of(target)
        if sim is None:
            from ._default import default_simulation

            sim = default_simulation()
        self.sim = sim
        if target is not None and _receiver(target) is None:
            raise CableError(_no_receiver(target))
        if isinstance(source, Ref) and source.name != "v":
            raise CableError(f"NetCon source must be a membrane potential reference such as seg._ref_v, got {source!r}")
        self.source = source
        self.target = target
        n_weights = getattr(_receiver(target), "n_weights", 1) if target is not None else 1
        w = np.atleast_1d(np.asarray(weight, dtype=float))
        self.weight = _Weights(list(w) + [0.0] * max(0, n_weights - len(w)))
        self._active = True
        self._record = []
        self.delay = delay
        self.threshold = threshold
        sim._events.add_netcon(self)

    def __repr__(self):
        return f"NetCon({self.source!r} -> {self.target!r})"

    @property
    def delay(self):
        """float [ms]: transmission delay (>= 0)."""
        return self._delay

    @delay.setter
    def delay(self, value):
        value = float(value)
        if not value >= 0 or not np.isfinite(value):
            raise CableError(f"NetCon delay must be >= 0 [ms], got {value}")
        self._delay = value

    @property
    def threshold(self):
        """float [mV]: the source's threshold (shared by all NetCons of one source)."""
        return self.sim._events.threshold_of(self.source, self._threshold)

    @threshold.setter
    def threshold(self, value):
        self._threshold = float(value)
        self.sim._events.set_threshold(self.source, float(value))

    def active(self, flag=None):
        """Get, or set with ``flag``, whether the NetCon delivers events. Returns 0 or 1."""
        if flag is not None:
            self._active = bool(flag)
        return int(self._active)

    def record(self, vec=None):
        """Append the source's spike times [ms] to ``vec`` (a Vector or a list)."""
        self._record.append(vec)

    def event(self, t, flag=None):
        """Send an event now that arrives at time ``t`` [ms] (NEURON's ``nc.event``)."""
        self.sim._events.push(float(t), ("deliver", self, 0, None))

    def valid(self):
        return 1 if self.source is not None and self.target is not None else 0


def _sim_of(obj):
    if obj is None:
        return None
    if isinstance(obj, Ref):
        return obj.sim
    seg = getattr(obj, "seg", None)
    if seg is not None:
        return seg.sec.sim
    return getattr(obj, "sim", None)


def _no_receiver(target):
    """The error message for a NetCon to ``target``, which has no NET_RECEIVE."""
    spec = getattr(target, "spec", None)
    origin = getattr(spec, "origin", "")
    if origin:  # translated from a mod file: point at it
        return (
            f"{origin}: NetCon target {target!r}: POINT_PROCESS {spec.name} has no NET_RECEIVE block, "
            "so it cannot receive events (or use target=None)"
        )
    return (
        f"NetCon target {target!r} has no NET_RECEIVE; events can only go to synapses such as "
        "ExpSyn, Exp2Syn or artificial cells (or use target=None)"
    )


def _receiver(target):
    """The object whose net_receive handles events for ``target`` (spec or cell)."""
    spec = getattr(target, "spec", None)
    if spec is not None and getattr(spec, "net_receive", None) is not None:
        return spec
    if hasattr(target, "net_receive") and callable(getattr(target, "net_receive")):
        return target
    return None


class EventQueue:
    """The simulation's pending events, spike sources and NetCons."""

    def __init__(self, sim):
        self.sim = sim
        self.netcons = []
        self._heap = []
        self._seq = itertools.count()
        self._thresholds = {}  # id(source) -> threshold
        self._sources = None

    # -- registry ------------------------------------------------------------------
    def add_netcon(self, nc):
        self.netcons.append(nc)
        self._sources = None

    def _key(self, source):
        if isinstance(source, Ref):
            return ("v", id(source.owner.sec), source.owner.index)
        return ("obj", id(source))

    def set_threshold(self, source, value):
        if source is not None:
            self._thresholds[self._key(source)] = value

    def threshold_of(self, source, default):
        return self._thresholds.get(self._key(source), default) if source is not None else default

    # -- queue -------------------------------------------------------------------------
    def push(self, t, action):
        heapq.heappush(self._heap, (t, next(self._seq), action))

    def next_time(self):
        return self._heap[0][0] if self._heap else np.inf

    def initialize(self, model):
        """Clear pending events and recorded spike vectors, resolve voltage sources, note
        which are above threshold, and let artificial cells schedule their first events."""
        self._heap = []
        for nc in self.netcons:
            for vec in nc._record:
                if vec is not None and hasattr(vec, "resize"):
                    vec.resize(0)
                elif isinstance(vec, list):
                    vec.clear()
        groups = {}
        for nc in self.netcons:
            if isinstance(nc.source, Ref):
                groups.setdefault(self._key(nc.source), (nc.source, []))[1].append(nc)
        self._vsrc = list(groups.values())
        self._src_nodes = np.array([ref.owner.node_index for ref, _ in self._vsrc], dtype=np.intp)
        self._src_thresh = np.array([self._thresholds.get(self._key(ref), ncs[0]._threshold) for ref, ncs in self._vsrc])
        v = model.v
        self._above = v[self._src_nodes] >= self._src_thresh if len(self._src_nodes) else np.zeros(0, bool)
        # a source fires again only after falling below this (its threshold, or lower
        # after the integrator went back to a crossing time, see after_retreat)
        self._rearm = self._src_thresh.copy()
        self._by_object = {}
        for nc in self.netcons:
            if nc.source is not None and not isinstance(nc.source, Ref):
                self._by_object.setdefault(id(nc.source), []).append(nc)
        for cell in self.sim.artificial_cells:
            cell._initialize(self)
        for pp in self.sim.point_processes:  # a translated INITIAL that sends events
            run = getattr(pp.spec, "instance_initial", None)
            if run is not None:
                run(pp, self.sim.t)
        self._initialize_weights()

    def _initialize_weights(self):
        """NEURON's finitialize, after the INITIAL blocks: each NetCon's weight list goes
        through its target's NET_RECEIVE INITIAL block if there is one; otherwise the
        entries after the first (per-connection state) are set to 0."""
        for nc in self.netcons:
            if nc.target is None:
                continue
            init = getattr(_receiver(nc.target), "net_init", None)
            if init is not None:
                init(nc.target, nc.weight, self.sim.t)
            else:
                for k in range(1, len(nc.weight)):
                    nc.weight[k] = 0.0

    def send_self(self, obj, t, flag, weights=None):
        """A self-event (NMODL ``net_send``) to ``obj`` at time ``t`` [ms] with ``flag``;
        ``weights`` is the weight list its NET_RECEIVE sees (None: zeros)."""
        if weights is None:
            weights = [0.0] * getattr(_receiver(obj), "n_weights", 1)
        self.push(t, ("self", obj, flag, weights))

    # -- spikes ----------------------------------------------------------------------
    def spike(self, ncs, t):
        """A source fired at t: record it, and send each active NetCon's event."""
        for nc in ncs:
            for vec in nc._record:
                if vec is not None:
                    vec.append(t)
            if nc._active and nc.target is not None:
                self.push(t + nc._delay, ("deliver", nc, 0, None))

    def emit(self, source, t):
        """An artificial cell or point process emits an event (net_event)."""
        self.spike(self._by_object.get(id(source), ()), t)

    def detect_fixed(self, v, t):
        """Fixed step: a source fires at t when it reaches its threshold in this step."""
        if not len(self._src_nodes):
            return
        now = v[self._src_nodes] >= self._src_thresh
        fired = np.flatnonzero(now & ~self._above)
        self._above = now
        for k in fired:
            self.spike(self._vsrc[k][1], t)

    def detect_interpolated(self, v_prev, t_prev, v, t):
        """Variable step: crossing times interpolated linearly between two steps."""
        if not len(self._src_nodes):
            return
        vp = v_prev
        vn = v[self._src_nodes]
        fired = np.flatnonzero((vn >= self._src_thresh) & ~self._above)
        rearmed = self._above & (vn < self._rearm)
        self._above = (self._above & ~rearmed) | (vn >= self._src_thresh)
        self._rearm[rearmed] = self._src_thresh[rearmed]
        for k in fired:
            th = self._src_thresh[k]
            frac = (th - vp[k]) / (vn[k] - vp[k]) if vn[k] != vp[k] else 1.0
            self.spike(self._vsrc[k][1], t_prev + frac * (t - t_prev))

    def after_retreat(self, v):
        """The integrator went back inside a step to an event time, where a source that
        just fired may sit a hair below its threshold (linear crossing estimate against
        the solver's interpolant): it must not count as a new crossing."""
        if len(self._src_nodes):
            vn = v[self._src_nodes]
            low = self._above & (vn < self._src_thresh)
            self._rearm[low] = np.minimum(vn[low], self._src_thresh[low]) - 1e-9

    def source_voltages(self, v):
        return v[self._src_nodes].copy() if len(self._src_nodes) else np.zeros(0)

    # -- delivery --------------------------------------------------------------------
    def deliver_until(self, t_limit):
        """Deliver every event due at or before ``t_limit``; returns True when any
        delivery reached a target whose state the integrator holds (a NetCon's target,
        or a point process's self-event)."""
        changed = False
        while self._heap and self._heap[0][0] <= t_limit:
            t, _, action = heapq.heappop(self._heap)
            kind, obj, flag, weights = action
            if kind == "deliver":
                target = obj.target
                # the NetCon's own list: NET_RECEIVE arguments after the first are
                # per-connection state that the receiver may write
                _receiver(target).net_receive(target, obj.weight, flag, t)
                changed = True
            else:  # a self-event (net_send)
                _receiver(obj).net_receive(obj, weights, flag, t)
                changed = changed or hasattr(obj, "seg")
        return changed
