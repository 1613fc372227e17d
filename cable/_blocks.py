"""Vectorized evaluation of all instances of one mechanism (a block).

A block holds the node index of every instance, its parameters as arrays and the location
of its states in the simulation's state vector; each method works on all instances at
once. The per-step methods avoid everything that does not depend on the step: views,
dictionaries and index forms are prepared when the model is built.
"""

import numpy as np

from ._errors import CableError

__all__ = ["MechanismBlock", "DV_PROBE"]

#: Voltage step [mV] for the numerical slope di/dv, as NEURON.
DV_PROBE = 0.001
_PROBE = np.array([[0.0], [DV_PROBE]])


def _index_of(nodes):
    """A slice when the nodes are consecutive (cheaper than fancy indexing), else the array."""
    if len(nodes) and np.all(np.diff(nodes) == 1):
        return slice(int(nodes[0]), int(nodes[-1]) + 1)
    return nodes


class MechanismBlock:
    """All instances of one mechanism type in a simulation.

    Parameters
    ----------
    spec : DensityMechanism or PointProcess
    nodes : ndarray of int, shape (n,)
        Node of each instance.
    params : dict str -> ndarray, shape (n,)
    globals_ : dict str -> float
        The simulation's values of the mechanism's GLOBAL parameters (read every step).
    offset : int
        Where the block's states start in the state vector; state k of instance j is
        ``y[offset + k * n + j]``.
    """

    def __init__(self, spec, nodes, params, globals_, offset):
        self.spec = spec
        self.nodes = np.asarray(nodes, dtype=np.intp)
        self.index = _index_of(self.nodes)
        self.n = len(self.nodes)
        self.params = params
        self.globals = globals_
        self.offset = offset
        self.outputs = {name: np.zeros(self.n) for name in spec.assigned}
        self.current_names = tuple(w for _, w in spec.ion_currents) + tuple(spec.nonspecific)
        self.currents = {name: np.zeros(self.n) for name in self.current_names}
        self._ion_of = [_ion_of_current(name, spec) for name in self.current_names]
        self._ion_reads = [(u.ion, r, _kind(u.ion, r)) for u in spec.ions for r in u.read]
        self._sign = -1.0 if getattr(spec, "electrode", False) else 1.0
        self._p = dict(params)
        self._sv = None
        self._stacked = None

    @property
    def n_states(self):
        return len(self.spec.states)

    @property
    def size(self):
        """Number of entries in the state vector."""
        return self.n_states * self.n

    @property
    def written_ions(self):
        """The ions whose currents the block writes (``USEION x WRITE ix``)."""
        return {ion for ion in self._ion_of if ion is not None}

    @property
    def ion_currents_read(self):
        """The ions whose summed current the block reads (``USEION x READ ix``)."""
        return {ion for ion, _, kind in self._ion_reads if kind == "i"}

    def state_slice(self, k):
        start = self.offset + k * self.n
        return slice(start, start + self.n)

    def bind(self, y):
        """Take views of the block's states in the state vector ``y`` (once per build)."""
        self._sv = {name: y[self.state_slice(k)] for k, name in enumerate(self.spec.states)}
        self._stacked = y[self.offset : self.offset + self.size].reshape(self.n_states, self.n)

    def states(self, y=None):
        """Views of the block's states, by name."""
        return self._sv

    def all_params(self):
        p = self._p
        if self.globals:  # GLOBALs may be changed between steps (h.usetable_hh = 0)
            p.update(self.globals)
        return p

    def ion_inputs(self, ions):
        idx = self.index
        return {var: ions[ion].array(kind)[idx] for ion, var, kind in self._ion_reads}

    # -- currents ------------------------------------------------------------------
    def add_currents(self, vnodes, ions, ctx, i_total, g_total, area_scale, ion_scale=1.0, slopes=True):
        """Add this block's currents, and with ``slopes`` their derivative NEURON's way,
        (i(v + 0.001) - i(v)) / 0.001, into ``i_total`` [nA] and ``g_total`` [uS] per node.

        ``area_scale`` converts the block's current unit into nA per instance
        (1e-2 * area for density mechanisms, 1 for point processes); ``ion_scale``
        converts it into the ion arrays' unit [mA/cm2] (1 for density mechanisms,
        100 / area for point processes). Both current and slope are evaluated in one call
        of the mechanism's function, on a (2, n) array of voltages.
        """
        idx = self.index
        v = vnodes[idx]
        exact = self.spec.conductance
        numeric = slopes and exact is None
        if numeric:
            v = v + _PROBE
        p = self.all_params()
        inputs = self.ion_inputs(ions)
        out = self.spec.current(v, self._sv, p, inputs, ctx)
        g = exact(v, self._sv, p, inputs, ctx, out) if (slopes and exact is not None) else {}
        i_sum = None
        g_sum = None
        unit_scale = isinstance(ion_scale, float) and ion_scale == 1.0
        for name, ion in zip(self.current_names, self._ion_of):
            if numeric:
                i0, di = _split(out[name])
            else:
                i0, di = out[name], g.get(name)
            self.currents[name][:] = i0
            i_sum = i0 if i_sum is None else i_sum + i0
            if di is not None:
                g_sum = di if g_sum is None else g_sum + di
            if ion is not None:
                arrays = ions[ion]
                arrays.i[idx] += i0 if unit_scale else ion_scale * i0
                if di is not None and arrays.track_slope:
                    arrays.di_dv[idx] += di if unit_scale else ion_scale * di
        for name in self.spec.assigned:
            if name in out:  # others are set elsewhere (INITIAL, NET_RECEIVE)
                self.outputs[name][:] = _split(out[name])[0] if numeric else out[name]
        if i_sum is None:
            return
        scale = self._sign * area_scale
        i_total[idx] += scale * i_sum
        if g_sum is not None:
            g_total[idx] += scale * g_sum

    def current_terms(self, vnodes, ions, ctx):
        """This block's membrane currents at ``vnodes``, written nowhere (the variable
        step's Jacobian evaluates one block alone).

        Parameters
        ----------
        vnodes : ndarray, shape (n_nodes,)
            Potential of every node [mV].
        ions : dict str -> IonArrays
        ctx : Context

        Returns
        -------
        total : ndarray, shape (n,)
            Sum of the currents of every instance, electrode currents counted inward, in
            the block's unit [mA/cm2 for density mechanisms, nA for point processes].
        by_ion : dict str -> ndarray, shape (n,)
            The current of each ion the block writes [same unit].
        """
        out = self.spec.current(vnodes[self.index], self._sv, self.all_params(), self.ion_inputs(ions), ctx)
        total = np.zeros(self.n)
        by_ion = {}
        for name, ion in zip(self.current_names, self._ion_of):
            total += out[name]
            if ion is not None:
                by_ion.setdefault(ion, np.zeros(self.n))[:] += out[name]
        total *= self._sign
        return total, by_ion

    # -- states --------------------------------------------------------------------
    def _rates(self, v, ions, ctx):
        return self.spec.rates(v, self._sv, self.all_params(), self.ion_inputs(ions), ctx)

    def initialize(self, vnodes, ions, ctx):
        """Set states to their initial values (the ``initial`` function, else ``inf``)."""
        if not self.n_states and self.spec.initial is None:
            return
        v = vnodes[self.index]
        if self.n_states:
            rates = self._rates(v, ions, ctx)
            if isinstance(rates, tuple):
                self._stacked[: len(rates[0])] = rates[0]
            else:
                for name, (inf, _) in rates.items():
                    self._sv[name][:] = inf
        if self.spec.initial is not None:
            values = self.spec.initial(v, self.all_params(), self.ion_inputs(ions), ctx)
            for name, value in values.items():
                if name in self._sv:
                    self._sv[name][:] = value
                elif name in self.outputs:
                    self.outputs[name][:] = value
                elif name in self.params:
                    self.params[name][:] = value
                else:
                    raise KeyError(f"{self.spec.name}: initial() returned {name!r}, which it does not declare")

    def advance_states(self, vnodes, ions, ctx, dt):
        """One fixed step of the states at the new voltages: exact exponential update for
        ``rates`` states (NMODL cnexp); backward Euler solved by Newton's method for
        ``derivative`` states (NMODL derivimplicit and KINETIC), then the conserved
        states computed from the others."""
        if not self.n_states:
            return
        v = vnodes[self.index]
        rates = self._rates(v, ions, ctx)
        if isinstance(rates, tuple):
            inf, tau = rates
            x = self._stacked[: len(inf)]
            x += (1.0 - np.exp(-dt / tau)) * (inf - x)
            done = self.spec.states[: len(inf)]
        else:
            for name, (inf, tau) in rates.items():
                x = self._sv[name]
                x += (1.0 - np.exp(-dt / tau)) * (inf - x)
            done = tuple(rates)
        if self.spec.derivative is not None:
            p = self.all_params()
            inputs = self.ion_inputs(ions)
            conserved = _backward_euler(self.spec, v, self._sv, p, inputs, ctx, dt, skip=done)
            if self.spec.conserved is not None:
                if conserved is None:
                    conserved = self.spec.conserved(v, self._sv, p, inputs, ctx)
                for name, value in conserved.items():
                    self.outputs[name][:] = value

    def derivatives(self, vnodes, ions, ctx, out):
        """Write d(states)/dt [1/ms] into ``out`` (a full-length array like y)."""
        if not self.n_states:
            return
        v = vnodes[self.index]
        rates = self._rates(v, ions, ctx)
        if isinstance(rates, tuple):
            inf, tau = rates
            k = len(inf)
            out[self.offset : self.offset + k * self.n] = ((inf - self._stacked[:k]) / tau).ravel()
            done = self.spec.states[:k]
        else:
            for k, name in enumerate(self.spec.states):
                if name in rates:
                    inf, tau = rates[name]
                    out[self.state_slice(k)] = (inf - self._sv[name]) / tau
            done = tuple(rates)
        if self.spec.derivative is not None:
            d = self.spec.derivative(v, self._sv, self.all_params(), self.ion_inputs(ions), ctx)
            for k, name in enumerate(self.spec.states):
                if name in d and name not in done:
                    out[self.state_slice(k)] = d[name]


def _split(a):
    """(value, slope) from a (2, n) evaluation at (v, v + 0.001); (value, None) when the
    quantity does not depend on v (a (n,) array or a scalar)."""
    if isinstance(a, np.ndarray) and a.ndim == 2:
        return a[0], (a[1] - a[0]) / DV_PROBE
    return a, None


def _kind(ion, var):
    if var == "e" + ion:
        return "e"
    if var == ion + "i":
        return "ci"
    if var == ion + "o":
        return "co"
    return "i"


def _ion_of_current(name, spec):
    for use in spec.ions:
        if name == "i" + use.ion and name in use.write:
            return use.ion
    return None


#: Newton on the backward Euler equations (fixed step). derivimplicit: converged when
#: every correction |dx| <= _RTOL max(|x|, |x0|) + _ATOL (x0: the state at the start of
#: the step), which Newton reaches in 2-3 iterations, far above rounding.
_RTOL = 1e-10
_ATOL = 1e-30
_MAX_ITER = 20
#: NEURON's sparse (KINETIC): converged when sum |dx| over an instance's states <= 1e-6
#: (scopmath's CONVERGE), at most 22 iterations (MAXSTEPS = 20) then silently accepted.
_SPARSE_TOL = 1e-6
_SPARSE_MAX_ITER = 22


def _backward_euler(spec, v, states, p, inputs, ctx, dt, skip):
    """Advance the ``derivative`` states (not in ``skip``) of all instances by one
    backward Euler step, x1 = x0 + dt f(x1, v), by Newton's method; ``states`` (views
    into the state vector) are updated in place.

    Each iteration solves (I - dt J) dx = -(x - x0 - dt f(x)) for all instances at once
    (J: the k x k Jacobian of f of each instance); an instance stops when it has converged
    (``spec.method`` says when) and keeps its value while the others go on.

    Returns
    -------
    dict or None
        The conserved states at the result, when ``spec.method`` is ``"sparse"`` and the
        mechanism has them (else None).

    Raises
    ------
    CableError
        When ``"derivimplicit"`` has not converged after 20 iterations.
    """
    f, jac, names = _derivative_and_jacobian(spec, v, states, p, inputs, ctx, skip)
    if not names:
        return None
    method = spec.method
    x = np.array([np.broadcast_to(states[s], v.shape) for s in names], dtype=float)  # (k, n)
    x0 = x.copy()
    eye = np.eye(len(names))[:, :, None]
    active = None  # all instances
    conserved_fn = spec.conserved if method == "sparse" else None
    conserved = conserved_fn(v, states, p, inputs, ctx) if conserved_fn is not None else None
    max_iter = _SPARSE_MAX_ITER if method == "sparse" else _MAX_ITER
    for it in range(max_iter):
        dx = _solve(eye - dt * jac, dt * f - (x - x0))
        if active is not None:
            dx[:, ~active] = 0.0
        x += dx
        if method == "sparse":
            np.maximum(x, 0.0, out=x)  # NEURON: "stability of nonlinear kinetic schemes"
        for i, s in enumerate(names):
            states[s][...] = x[i]
        if method == "sparse_linear":
            return None
        if method == "sparse":
            err = np.abs(dx).sum(axis=0)
            if conserved_fn is not None:
                new = conserved_fn(v, states, p, inputs, ctx)
                for name, value in new.items():
                    err = err + np.abs(value - conserved[name])
                conserved = new
            going = err > _SPARSE_TOL
        else:
            tol = _RTOL * np.maximum(np.abs(x), np.abs(x0)) + _ATOL
            going = ~np.all(np.abs(dx) <= tol, axis=0)  # NaN: not converged
        active = going if active is None else active & going
        if not active.any():
            return conserved
        if it + 1 < max_iter:
            f, jac, _ = _derivative_and_jacobian(spec, v, states, p, inputs, ctx, skip)
    if method == "derivimplicit":
        raise CableError(
            f"mechanism {spec.name!r}: Newton's method on the backward Euler step at t = {ctx.t} ms "
            f"did not converge in {_MAX_ITER} iterations for {int(active.sum())} instance(s) "
            f"(largest correction {np.abs(dx).max():.3g}); try a smaller dt"
        )
    return conserved


def _derivative_and_jacobian(spec, v, states, p, inputs, ctx, skip):
    """(f, J, names) for the k derivative states ``names``: f of shape (k, n) [state/ms]
    and its Jacobian J of shape (k, k, n) [1/ms] (``J[i, j]`` = d f_i / d x_j), from
    ``spec.jacobian``, else by forward differences of ``spec.derivative`` with steps
    1e-7 max(1, |x|)."""
    shape = np.shape(v)
    if spec.jacobian is not None:
        d, entries = spec.jacobian(v, states, p, inputs, ctx)
    else:
        d, entries = spec.derivative(v, states, p, inputs, ctx), None
    names = [s for s in d if s not in skip]
    k = len(names)
    f = np.empty((k,) + shape)
    for i, s in enumerate(names):
        f[i] = d[s]
    jac = np.zeros((k, k) + shape)
    if entries is not None:
        where = {s: i for i, s in enumerate(names)}
        for (row, col), value in entries.items():
            if row in where and col in where:
                jac[where[row], where[col]] = value
        return f, jac, names
    for j, s in enumerate(names):
        x = states[s]
        h = (x + 1e-7 * np.maximum(1.0, np.abs(x))) - x  # a step that x + h represents exactly
        trial = dict(states)
        trial[s] = x + h
        dj = spec.derivative(v, trial, p, inputs, ctx)
        for i, r in enumerate(names):
            jac[i, j] = (dj[r] - f[i]) / h
    return f, jac, names


def _solve(m, b):
    """x with m x = b for every instance: m of shape (k, k, n), b and x of shape (k, n)
    (k = 1 and 2 in closed form, else LAPACK on the stacked (n, k, k) matrices)."""
    k = b.shape[0]
    if k == 1:
        return b / m[0, 0]
    if k == 2:
        det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
        return np.array([b[0] * m[1, 1] - m[0, 1] * b[1], m[0, 0] * b[1] - m[1, 0] * b[0]]) / det
    return np.linalg.solve(np.moveaxis(m, -1, 0), b.T[..., None])[..., 0].T
