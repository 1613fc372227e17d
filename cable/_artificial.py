"""Artificial cells: event generators and integrate-and-fire units with no membrane
(NEURON's ``NetStim`` and ``IntFire1``). Their state changes only at events."""

import numpy as np

from ._errors import CableError

__all__ = ["ArtificialCell", "NetStim", "IntFire1"]


class ArtificialCell:
    """Base class: parameters as attributes, ``net_receive`` for events,
    ``net_send(delay, flag)`` for self-events and ``net_event(t)`` for output spikes.

    Class attributes of a subclass: ``parameters`` (name -> default, settable with
    keywords), ``variables`` (name -> value at creation: the ASSIGNED and STATE of an
    NMODL ARTIFICIAL_CELL), ``n_weights`` (length of the weight list NetCons to it
    carry) and ``default_sim`` (where ``cls()`` creates a cell; None: the default
    simulation).
    """

    parameters = {}
    variables = {}
    n_weights = 1
    default_sim = None

    def __init__(self, sim=None, **values):
        if sim is None:
            sim = type(self).default_sim
        if sim is None:
            from ._default import default_simulation

            sim = default_simulation()
        self.sim = sim
        for name, default in self.variables.items():
            setattr(self, name, default)
        for name, default in self.parameters.items():
            setattr(self, name, default)
        for name, value in values.items():
            if name not in self.parameters:
                raise CableError(f"{type(self).__name__} has no parameter {name!r}; it has {sorted(self.parameters)}")
            setattr(self, name, value)
        sim.artificial_cells.append(self)
        self._queue = None

    def __repr__(self):
        return f"{type(self).__name__}[{id(self) % 10000}]"

    def _initialize(self, queue):
        self._queue = queue
        self.initial()

    def initial(self):
        """NMODL INITIAL: reset the state (subclasses)."""

    def net_send(self, delay, flag):
        """Schedule a self-event ``delay`` ms from now with ``flag``."""
        self.net_send_at(self.sim.t + delay, flag)

    def net_send_at(self, t, flag, weights=None):
        """Schedule a self-event at time ``t`` [ms] with ``flag``; its NET_RECEIVE sees
        ``weights`` (None: zeros)."""
        self._queue.send_self(self, t, flag, weights)

    def net_event(self, t):
        """Emit an output spike at time t to every NetCon from this cell."""
        self._queue.emit(self, t)

    @staticmethod
    def net_receive(cell, weights, flag, t):  # pragma: no cover - subclasses
        raise NotImplementedError


class NetStim(ArtificialCell):
    """A spike generator (NEURON's ``NetStim``).

    Parameters
    ----------
    start : float [ms]
        Time of the first event.
    interval : float [ms]
        Mean interval between events.
    number : float
        Number of events.
    noise : float
        0 (regular) .. 1 (Poisson): intervals are (1 - noise) interval + noise interval
        x an exponential variate, from a generator seeded by :meth:`seed`.
    """

    parameters = {"interval": 10.0, "number": 10.0, "start": 50.0, "noise": 0.0}

    def __init__(self, sim=None, **values):
        super().__init__(sim, **values)
        self._seed = 0
        self._rng = np.random.default_rng(0)

    def seed(self, value):
        """Seed the generator of the noisy intervals."""
        self._seed = int(value)
        self._rng = np.random.default_rng(self._seed)

    def _invl(self, mean):
        mean = 0.01 if mean <= 0 else mean
        if self.noise == 0:
            return mean
        return (1.0 - self.noise) * mean + self.noise * mean * self._rng.exponential()

    def initial(self):
        self._rng = np.random.default_rng(self._seed)
        self.noise = min(max(self.noise, 0.0), 1.0)
        self.ispike = 0
        self.on = 0
        if self.start >= 0 and self.number > 0:
            self.on = 1
            first = self.start + self._invl(self.interval) - self.interval * (1.0 - self.noise)
            self.net_send_at(max(first, 0.0), 3)

    @staticmethod
    def net_receive(cell, weights, flag, t):
        if flag == 0:  # an external event: w > 0 starts a sequence, w < 0 stops it
            w = weights[0]
            if w > 0 and cell.on == 0:
                cell.on, cell.ispike = 1, 0
                cell._next_invl()
                cell.net_send_at(t + cell._event - cell.interval * (1.0 - cell.noise), 1)
            elif w < 0:
                cell.on = 0
        elif flag == 3:
            if cell.on == 1:
                cell.ispike = 0
                cell.net_send_at(t, 1)
        elif flag == 1 and cell.on == 1:
            cell.ispike += 1
            cell.net_event(t)
            cell._next_invl()
            if cell.on == 1:
                cell.net_send_at(t + cell._event, 1)

    def _next_invl(self):
        if self.number > 0:
            self._event = self._invl(self.interval)
        if self.ispike >= self.number:
            self.on = 0


class IntFire1(ArtificialCell):
    """A leaky integrate-and-fire cell (NEURON's ``IntFire1``): the state m decays with
    time constant ``tau`` [ms]; an event of weight w adds w; when m exceeds 1 the cell
    fires and is refractory for ``refrac`` [ms]."""

    parameters = {"tau": 10.0, "refrac": 5.0}

    def initial(self):
        self.m = 0.0
        self.t0 = 0.0
        self.refractory = 0

    @property
    def M(self):
        """The present value of m (decayed to now), 2 while refractory."""
        if self.refractory:
            return 2.0
        return self.m * np.exp(-(self.sim.t - self.t0) / self.tau)

    @staticmethod
    def net_receive(cell, weights, flag, t):
        if cell.refractory == 0:
            cell.m = cell.m * np.exp(-(t - cell.t0) / cell.tau)
            cell.t0 = t
            cell.m += weights[0]
            if cell.m > 1:
                cell.refractory = 1
                cell.m = 2.0
                cell.net_send_at(t + cell.refrac, 1)
                cell.net_event(t)
        elif flag == 1:
            cell.t0 = t
            cell.refractory = 0
            cell.m = 0.0
