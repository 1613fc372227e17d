"""Vectorized evaluation of all instances of one mechanism (a block).

A block holds the node index of every instance, its parameters as arrays and the location
of its states in the simulation's state vector; each method works on all instances at
once.
"""

import numpy as np

from ._mechanism import Context

__all__ = ["MechanismBlock", "DV_PROBE"]

#: Voltage step [mV] for the numerical slope di/dv, as NEURON.
DV_PROBE = 0.001


class MechanismBlock:
    """All instances of one mechanism type in a simulation.

    Parameters
    ----------
    spec : DensityMechanism or PointProcess
    nodes : ndarray of int, shape (n,)
        Node of each instance.
    params : dict str -> ndarray, shape (n,)
    globals_ : dict str -> float
        The simulation's values of the mechanism's GLOBAL parameters.
    offset : int
        Where the block's states start in the state vector; state k of instance j is
        ``y[offset + k * n + j]``.
    """

    def __init__(self, spec, nodes, params, globals_, offset):
        self.spec = spec
        self.nodes = np.asarray(nodes, dtype=np.intp)
        self.n = len(self.nodes)
        self.params = params
        self.globals = globals_
        self.offset = offset
        self.outputs = {name: np.zeros(self.n) for name in spec.assigned}
        self.currents = {name: np.zeros(self.n) for name in self.current_names}
        self._ion_reads = [(u.ion, r) for u in spec.ions for r in u.read]

    @property
    def n_states(self):
        return len(self.spec.states)

    @property
    def size(self):
        """Number of entries in the state vector."""
        return self.n_states * self.n

    @property
    def current_names(self):
        return tuple(w for _, w in self.spec.ion_currents) + tuple(self.spec.nonspecific)

    def state_slice(self, k):
        start = self.offset + k * self.n
        return slice(start, start + self.n)

    def states(self, y):
        """Views of the block's states in a state vector, by name."""
        return {name: y[self.state_slice(k)] for k, name in enumerate(self.spec.states)}

    def all_params(self):
        p = dict(self.params)
        p.update(self.globals)
        return p

    def ion_inputs(self, ions):
        out = {}
        for ion, var in self._ion_reads:
            kind = "e" if var == "e" + ion else ("ci" if var == ion + "i" else ("co" if var == ion + "o" else "i"))
            out[var] = ions[ion].array(kind)[self.nodes]
        return out

    # -- currents ------------------------------------------------------------------
    def evaluate_current(self, v, y, ions, ctx):
        """The mechanism's current function at the instances' voltages ``v``."""
        return self.spec.current(v, self.states(y), self.all_params(), self.ion_inputs(ions), ctx)

    def add_currents(self, vnodes, y, ions, ctx, i_total, g_total, area_scale, ion_scale=1.0):
        """Add this block's currents and their slopes at ``vnodes`` (all node voltages) into
        ``i_total`` and ``g_total`` (per node), NEURON's way: the slope is
        (i(v + 0.001) - i(v)) / 0.001.

        ``area_scale`` converts the block's current unit into the totals' unit [nA] per
        instance (1e-2 * area for density mechanisms, 1 for point processes);
        ``ion_scale`` converts it into the ion arrays' unit [mA/cm2] (1 for density
        mechanisms, 100 / area for point processes).
        """
        v = vnodes[self.nodes]
        hi = self.evaluate_current(v + DV_PROBE, y, ions, ctx)
        lo = self.evaluate_current(v, y, ions, ctx)
        sign = -1.0 if getattr(self.spec, "electrode", False) else 1.0
        i_sum = 0.0
        g_sum = 0.0
        for name in self.current_names:
            i = lo[name]
            di = (hi[name] - i) / DV_PROBE
            self.currents[name][:] = i
            i_sum = i_sum + i
            g_sum = g_sum + di
            ion = _ion_of_current(name, self.spec)
            if ion is not None:
                ions[ion].i[self.nodes] += ion_scale * i
                ions[ion].di_dv[self.nodes] += ion_scale * di
        for name in self.spec.assigned:
            self.outputs[name][:] = lo[name]
        if self.current_names:
            i_total[self.nodes] += sign * area_scale * i_sum
            g_total[self.nodes] += sign * area_scale * g_sum

    def current_only(self, vnodes, y, ions, ctx, i_total, area_scale, ion_scale=1.0):
        """Add the currents (no slopes) into ``i_total``; for the variable-step rhs."""
        v = vnodes[self.nodes]
        lo = self.evaluate_current(v, y, ions, ctx)
        sign = -1.0 if getattr(self.spec, "electrode", False) else 1.0
        i_sum = 0.0
        for name in self.current_names:
            i = lo[name]
            self.currents[name][:] = i
            i_sum = i_sum + i
            ion = _ion_of_current(name, self.spec)
            if ion is not None:
                ions[ion].i[self.nodes] += ion_scale * i
        for name in self.spec.assigned:
            self.outputs[name][:] = lo[name]
        if self.current_names:
            i_total[self.nodes] += sign * area_scale * i_sum

    # -- states --------------------------------------------------------------------
    def initialize(self, vnodes, y, ions, ctx):
        """Set states to their initial values (the ``initial`` function, else ``inf``)."""
        if not self.n_states:
            return
        v = vnodes[self.nodes]
        states = self.states(y)
        p = self.all_params()
        inputs = self.ion_inputs(ions)
        values = {}
        rates = self.spec.rates(v, states, p, inputs, ctx)
        for name, (inf, _) in rates.items():
            values[name] = inf
        if self.spec.initial is not None:
            values.update(self.spec.initial(v, p, inputs, ctx))
        for name, value in values.items():
            states[name][:] = value

    def advance_states(self, vnodes, y, ions, ctx, dt):
        """One fixed step of the states at the new voltages: exact exponential update for
        ``rates`` states (NMODL cnexp); exponential Euler with a numerical diagonal
        Jacobian for ``derivative`` states."""
        if not self.n_states:
            return
        v = vnodes[self.nodes]
        states = self.states(y)
        p = self.all_params()
        inputs = self.ion_inputs(ions)
        rates = self.spec.rates(v, states, p, inputs, ctx)
        for name, (inf, tau) in rates.items():
            x = states[name]
            x += (1.0 - np.exp(-dt / tau)) * (inf - x)
        if self.spec.derivative is not None:
            _exponential_euler(self.spec.derivative, v, states, p, inputs, ctx, dt, skip=rates)

    def derivatives(self, vnodes, y, ions, ctx, out):
        """Write d(states)/dt [1/ms] into ``out`` (a full-length array like y)."""
        if not self.n_states:
            return
        v = vnodes[self.nodes]
        states = self.states(y)
        p = self.all_params()
        inputs = self.ion_inputs(ions)
        rates = self.spec.rates(v, states, p, inputs, ctx)
        for k, name in enumerate(self.spec.states):
            if name in rates:
                inf, tau = rates[name]
                out[self.state_slice(k)] = (inf - states[name]) / tau
        if self.spec.derivative is not None:
            d = self.spec.derivative(v, states, p, inputs, ctx)
            for k, name in enumerate(self.spec.states):
                if name in d and name not in rates:
                    out[self.state_slice(k)] = d[name]


def _ion_of_current(name, spec):
    for use in spec.ions:
        if name == "i" + use.ion and name in use.write:
            return use.ion
    return None


def _exponential_euler(derivative, v, states, p, inputs, ctx, dt, skip):
    """x += (exp(b dt) - 1) / b * f with b = df/dx from a forward difference, per state."""
    f0 = derivative(v, states, p, inputs, Context(ctx.t, ctx.dt, ctx.celsius, ctx.t_phase))
    names = [n for n in f0 if n not in skip]
    slopes = {}
    for name in names:
        x = states[name]
        h = 1e-7 * np.maximum(1.0, np.abs(x))
        trial = dict(states)
        trial[name] = x + h
        slopes[name] = (derivative(v, trial, p, inputs, ctx)[name] - f0[name]) / h
    for name in names:
        b = slopes[name]
        bdt = b * dt
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = np.where(np.abs(bdt) > 1e-10, np.expm1(bdt) / np.where(b == 0, 1.0, b), dt)
        states[name] += phi * f0[name]
