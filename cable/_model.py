"""The built model: node arrays, the one state vector, mechanism blocks, ions, the
tree solver, and NEURON's fixed-step scheme over them."""

import numpy as np

from ._blocks import MechanismBlock
from ._hines import TreeSolver, laplacian
from ._ions import IonArrays, ion_spec
from ._mechanism import Context
from ._tree import build_tree

__all__ = ["Model"]


class Model:
    """Everything a time step needs, built from a simulation's sections and point
    processes. Rebuilt (cheaply) whenever the structure changes.

    The state vector ``y`` holds the membrane potential of every node [mV] first, then
    each block's states, then the states of each extension. Section and point-process
    values become views into it.

    Extensions (``sim.extensions``; rxd is one) take part through these methods:
    ``ion_charges() -> {ion: charge}`` (ions they define); ``prepare(model) ->
    n_states``; ``bind(model, offset)`` (their states are ``y[offset:offset +
    n_states]``); ``initialize(model)``; ``write_ions(model)`` (their concentrations
    into the ion arrays, before currents are computed); ``add_membrane_currents(model,
    i_total)`` (currents they induce [nA]); ``rhs(model, t, out)`` writing d/dt of their
    states into ``out[offset:offset + n]`` (after the membrane currents, which they may
    read from the ion arrays); ``fixed_step(model, t, dt)`` after the cable's step;
    ``ion_storage(ion, kind, node)`` -> (array, index) or None; ``coupling()`` -> (local
    state indices, nodes) whose equations involve that node's potential; and for the
    variable step ``jacobian_pattern()`` -> (rows, cols) and ``jacobian_values(model,
    t)`` -> values, in block-local indices, and ``locations()`` (a node per state).
    """

    def __init__(self, sim):
        self.tree = tree = build_tree(sim.sections)
        n = tree.n
        self.n_nodes = n
        self.area = tree.area_um2
        self.C = tree.C_nF
        self.G = laplacian(tree.parent, tree.g_axial)
        self.G_diag = self.G.diagonal()
        self.solver = TreeSolver(tree.parent, tree.g_axial)
        self.i_total = np.zeros(n)
        self.g_total = np.zeros(n)
        self.ctx = Context(0.0, np.nan, sim.celsius, 0.0)
        self._base_diag = {}  # (dt, secondorder) -> cfac * C + axial diagonal
        if self.solver.chain and n > 1:
            self._g_chain = np.where(tree.parent[1:] >= 0, tree.g_axial[1:], 0.0)

        charges = sim.ion_charges()
        self.ions = {name: IonArrays(ion_spec(name, charges.get(name)), n) for name in sim.ion_names()}

        old_v = {sec: sec._data["v"].copy() for sec in tree.sections}
        self.blocks = []
        offset = n
        for name in _mechanism_order(tree.sections):
            spec = sim.mechanism(name)
            secs = [s for s in tree.sections if name in s.mechanisms]
            nodes = np.concatenate([tree.segment_nodes(s) for s in secs])
            params = {p: np.concatenate([s._data[(name, p)] for s in secs]) for p in spec.parameters}
            block = MechanismBlock(spec, nodes, params, sim.mech_globals[name], offset)
            block.sections = secs
            block.area_scale = 1e-2 * self.area[nodes]
            block.saved = {k: np.concatenate([s._data[(name, k)] for s in secs]) for k in spec.states}
            offset += block.size
            self.blocks.append(block)

        self.pp_blocks = []
        for name in _pp_order(sim.point_processes):
            spec = sim.mechanism(name)
            pps = [pp for pp in sim.point_processes if pp.spec.name == name]
            nodes = np.array([tree.node_of(pp.seg.sec, pp.seg.x) for pp in pps], dtype=np.intp)
            params = {p: np.concatenate([pp._data[p] for pp in pps]) for p in spec.parameters}
            block = MechanismBlock(spec, nodes, params, sim.mech_globals[name], offset)
            block.objects = pps
            area = self.area[nodes]
            block.area_scale = 1.0
            block.ion_scale = np.where(area > 0, 100.0 / np.where(area > 0, area, 1.0), 0.0)
            block.saved = {k: np.concatenate([pp._data[k] for pp in pps]) for k in spec.states}
            offset += block.size
            self.pp_blocks.append(block)

        # Extensions (rxd) append their states after the mechanisms' states.
        self.extensions = []
        ext_offsets = []
        for ext in sim.extensions:
            size = ext.prepare(self)
            ext_offsets.append(offset)
            offset += size
            self.extensions.append(ext)

        self.y = np.zeros(offset)
        for block in self.blocks + self.pp_blocks:
            block.bind(self.y)
        self._bind(old_v)
        for ext, off in zip(self.extensions, ext_offsets):
            ext.bind(self, off)

    # -- views -----------------------------------------------------------------------
    def _bind(self, old_v):
        """Copy section and point-process values into the new arrays, then make the
        objects' arrays views of them."""
        tree, y = self.tree, self.y
        for sec in tree.sections:
            view = y[tree.segment_slice(sec)]
            view[:] = old_v[sec]
            sec._data["v"] = view
        # end nodes take the potential of their neighbour
        zero = np.flatnonzero(self.C == 0)
        for k in zero:
            nbr = self.G.indices[self.G.indptr[k] : self.G.indptr[k + 1]]
            nbr = nbr[nbr != k]
            if len(nbr):
                y[k] = y[nbr[0]]
        for block in self.blocks:
            start = 0
            states = block.states()
            for name, arr in block.saved.items():
                states[name][:] = arr
            for sec in block.sections:
                r = slice(start, start + sec.nseg)
                name = block.spec.name
                for p in block.spec.parameters:
                    sec._data[(name, p)] = block.params[p][r]
                for s in block.spec.states:
                    sec._data[(name, s)] = states[s][r]
                for a in block.spec.assigned:
                    sec._data[(name, a)] = block.outputs[a][r]
                for c in block.current_names:
                    sec._data[(name, c)] = block.currents[c][r]
                start += sec.nseg
        for block in self.pp_blocks:
            states = block.states()
            for name, arr in block.saved.items():
                states[name][:] = arr
            for j, pp in enumerate(block.objects):
                r = slice(j, j + 1)
                for p in block.spec.parameters:
                    pp._data[p] = block.params[p][r]
                for s in block.spec.states:
                    pp._data[s] = states[s][r]
                for a in block.spec.assigned:
                    pp._data[a] = block.outputs[a][r]
                for c in block.current_names:
                    pp._data[c] = block.currents[c][r]

    @property
    def v(self):
        return self.y[: self.n_nodes]

    # -- currents ----------------------------------------------------------------------
    def _reset_currents(self):
        self.i_total.fill(0.0)
        self.g_total.fill(0.0)
        for ion in self.ions.values():
            ion.i.fill(0.0)
            if ion.track_slope:
                ion.di_dv.fill(0.0)

    def axial_current(self, v):
        """G v: the axial current leaving each node [nA]."""
        if self.solver.chain and self.n_nodes > 1:
            g = self._g_chain
            dv = g * (v[1:] - v[:-1])  # current from node k to node k+1 ... as flux k+1 -> k
            out = np.zeros_like(v)
            out[1:] += dv
            out[:-1] -= dv
            return out
        return self.G @ v

    def membrane_currents(self, ctx, slopes=True):
        """Sum of all membrane currents per node [nA] (outward positive, electrode
        currents counted inward) into ``i_total``, and with ``slopes`` their derivative
        with respect to v [uS] into ``g_total``."""
        self._reset_currents()
        v, ions, i_total, g_total = self.v, self.ions, self.i_total, self.g_total
        for b in self.blocks:
            b.add_currents(v, ions, ctx, i_total, g_total, b.area_scale, 1.0, slopes)
        for b in self.pp_blocks:
            b.add_currents(v, ions, ctx, i_total, g_total, 1.0, b.ion_scale, slopes)
        for ext in self.extensions:
            ext.add_membrane_currents(self, i_total)

    # -- initialization and the fixed step ---------------------------------------------
    def initialize(self, v_init, celsius):
        """NEURON's finitialize at t = 0: every node at ``v_init`` [mV] (unless None),
        ion defaults, every mechanism's INITIAL, then the currents at t = 0."""
        if v_init is not None:
            self.v[:] = v_init
        for ion in self.ions.values():
            ion.initialize(celsius)
        ctx = Context(0.0, np.nan, celsius, 0.0)
        # rxd first, so that mechanisms initialize with its concentrations
        for ext in self.extensions:
            ext.initialize(self)
        self.sync_ions(celsius)
        for b in self.blocks + self.pp_blocks:
            b.initialize(self.v, self.ions, ctx)
        self.membrane_currents(ctx)

    def sync_ions(self, celsius):
        """Concentrations from the extensions into the ion arrays, then Nernst potentials."""
        for ext in self.extensions:
            ext.write_ions(self)
        for ion in self.ions.values():
            ion.update_e(celsius)

    def fixed_step(self, t, dt, secondorder, celsius):
        """Advance from t to t + dt as NEURON's fadvance: currents and their slopes at
        t + dt/2 from v(t), one tree solve for dv (backward Euler, or Crank-Nicolson when
        ``secondorder == 2``), then the states at the new v."""
        ctx = self.ctx
        ctx.t = ctx.t_phase = t + 0.5 * dt
        ctx.dt = dt
        ctx.celsius = celsius
        for ion in self.ions.values():
            ion.track_slope = bool(secondorder)
        if self.extensions:
            self.sync_ions(celsius)
        self.membrane_currents(ctx)
        v = self.v
        rhs = self.i_total + self.axial_current(v)
        np.negative(rhs, out=rhs)
        key = (dt, secondorder)
        base = self._base_diag.get(key)
        if base is None:
            cfac = (2.0 if secondorder else 1.0) / dt
            base = self._base_diag[key] = cfac * self.C + self.G_diag
        dv = self.solver.solve(base + self.g_total, rhs)
        if secondorder:
            v += 2.0 * dv
            for ion in self.ions.values():
                ion.i += ion.di_dv * dv
        else:
            v += dv
        ctx.t = ctx.t_phase = t + dt
        for b in self.blocks:
            b.advance_states(v, self.ions, ctx, dt)
        for b in self.pp_blocks:
            b.advance_states(v, self.ions, ctx, dt)
        for ext in self.extensions:
            ext.fixed_step(self, t, dt)
        if self.extensions:
            self.sync_ions(celsius)  # cai and eca as they are at t + dt

    def discontinuities(self):
        """Times [ms] at which point processes switch (for the variable step)."""
        times = []
        for b in self.pp_blocks:
            f = getattr(b.spec, "discontinuities", None)
            if f is not None:
                times.append(np.asarray(f(b.all_params()), dtype=float).ravel())
        return np.unique(np.concatenate(times)) if times else np.zeros(0)


def _mechanism_order(sections):
    names = []
    for sec in sections:
        for name in sec.mechanisms:
            if name not in names:
                names.append(name)
    return names


def _pp_order(pps):
    names = []
    for pp in pps:
        if pp.spec.name not in names:
            names.append(pp.spec.name)
    return names
