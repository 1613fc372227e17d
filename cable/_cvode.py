"""Variable time step: SUNDIALS CVODE (scikit-sundae) over the one state vector.

The ODE state is the potential of every node with membrane capacitance and every
mechanism state. Zero-area nodes (section ends) have no capacitance: their potential is
the conductance-weighted mean of their neighbours', eliminated exactly before each
evaluation. Point-process discontinuities (IClamp on/off, SEClamp steps) are hard stops
where the integrator is restarted; recording times and ``cvode.event`` callbacks are
reached by CVODE's interpolation, without restarting, unless a callback asks for
``re_init``.
"""

import warnings

import numpy as np
import scipy.sparse as sp
import sksundae

from ._errors import CableError
from ._fdjac import BlockColumns, greedy_column_colors
from ._mechanism import Context

__all__ = ["CvodeIntegrator"]

#: Relative rounding allowed between CVODE's (I - gamma J) v and ours (a few ulp: CVODE
#: forms it in C, possibly with a fused multiply-add) when _psolve recognizes it.
_PRODUCT_ROUNDING = 4 * np.finfo(float).eps

_DENSE_MAX = 64  # below this many equations the dense solver with CVODE's own Jacobian is faster
_BAND_MAX = 24  # widest band (off-diagonals per side) for which the band solver is used


class CvodeIntegrator:
    """CVODE on a built model.

    Parameters
    ----------
    sim : Simulation
    atol : float
        Absolute tolerance (NEURON's ``cvode.atol``) [state units].
    rtol : float
        Relative tolerance (NEURON's default is 0).
    maxstep : float [ms]
        Largest step (0: unlimited).
    linsolver : {'auto', 'band', 'sparse', 'schur'}
        CVODE's linear solver for systems of more than 64 equations. 'auto': the states
        are reordered by reverse Cuthill-McKee and, when the Jacobian then fits in a band
        of at most 24 off-diagonals, CVODE's band solver is used; otherwise its sparse
        solver (SuperLU_MT) with the Jacobian from the compiled rxd expressions and
        coloured finite differences for the cable.
    """

    def __init__(self, sim, atol, rtol, maxstep=0.0, linsolver="auto", atolscale=None):
        self.sim = sim
        self.model = m = sim._model
        N = m.n_nodes
        self.N = N
        v = m.v
        # Electrically inert: no mechanism, no point process, nothing reading v, and one
        # potential everywhere: then v cannot change and is left out of the ODE.
        self.static_v = (
            not m.blocks
            and not m.pp_blocks
            and not any(getattr(e, "uses_voltage", True) for e in m.extensions)
            and bool(np.all(v == v[0] if len(v) else True))
        )
        self._v0 = v.copy()
        self.cap = np.zeros(0, dtype=np.intp) if self.static_v else np.flatnonzero(m.C > 0)
        self.zero = np.zeros(0, dtype=np.intp) if self.static_v else np.flatnonzero(m.C == 0)
        self.nc = len(self.cap)
        self.ncv = self.nc + len(m.y) - N
        d0 = m.G_diag[self.zero]
        G_csr = m.G.tocsr()
        self.Z = (sp.diags(-1.0 / d0) @ G_csr[self.zero][:, self.cap]).tocsr()
        self.Cc = m.C[self.cap]
        self._out = np.zeros(len(m.y))
        self.t_phase = 0.0
        self.nsteps = 0
        self.nrhs = 0
        self.disc = m.discontinuities()
        scales = self._atol_scales(atolscale or {})
        atol_arg = atol if np.all(scales == 1.0) else atol * scales
        options = dict(rtol=rtol, atol=atol_arg, max_num_steps=100000, max_step=maxstep)
        self._atol_vector = None if np.isscalar(atol_arg) else np.asarray(atol_arg)
        self.perm = None
        rhs = self._rhs
        self.solver = None
        if self.ncv == 0:
            self.linsolver = "none"  # nothing to integrate: only events and time pass
        elif self.ncv <= _DENSE_MAX:
            options["linsolver"] = "dense"
            self.linsolver = "dense"
        else:
            self._prepare_jacobian()
            perm, band = _band_order(self.sparsity, self._locations())
            if linsolver in ("auto", "band") and (band <= _BAND_MAX or linsolver == "band"):
                # states reordered (reverse Cuthill-McKee) into a narrow band: CVODE's band
                # solver with its own difference-quotient Jacobian (2 band + 1 evaluations)
                self.perm = perm
                self.iperm = np.argsort(perm)
                if self._atol_vector is not None:
                    options["atol"] = self._atol_vector[perm]
                self._zwork = np.zeros(self.ncv)
                options.update(linsolver="band", lband=band, uband=band)
                rhs = self._rhs_permuted
                self.linsolver = f"band({band})"
            elif linsolver == "schur":
                self._prepare_schur()
                options.update(
                    linsolver="gmres",
                    krylov_dim=5,
                    precond=sksundae.cvode.CVODEPrecond(self._psetup, self._psolve, side="left"),
                    jactimes=sksundae.cvode.CVODEJacTimes(None, self._jtimes),
                )
                self.linsolver = f"schur(band {self._schur.band})" if self._schur.use_band else "schur"
            else:
                options.update(linsolver="sparse", sparsity=self.sparsity, jacfn=self._jac)
                self.linsolver = "sparse"
        if self.ncv:
            with warnings.catch_warnings():
                # scikit-sundae notes that our jacfn replaces its own sparse approximation
                warnings.filterwarnings("ignore", message="Custom sparse Jacobian", category=UserWarning)
                self.solver = sksundae.cvode.CVODE(rhs, **options)
        self._ydot = np.zeros(self.ncv)
        self.reinit_requested = False
        self._t_last = None
        self._events = None
        if self.ncv:
            self.solver.init_step(sim.t, self.state())
        self._mark()

    def _atol_scales(self, named):
        """Per solver state (unpermuted): the factor on atol."""
        m = self.model
        full = np.ones(len(m.y))
        full[: self.N] = named.get("v", 1.0)
        for b in m.blocks + m.pp_blocks:
            for k, s in enumerate(b.spec.states):
                full[b.state_slice(k)] = named.get(f"{s}_{b.spec.name}", 1.0)
        for ext in m.extensions:
            f = getattr(ext, "atol_scales", None)
            if f is not None:
                full[ext.offset : ext.offset + ext.size] = f()
        return np.concatenate([full[self.cap], full[self.N :]])

    def _locations(self):
        """The node each solver state belongs to (for a banded order)."""
        m = self.model
        loc = np.zeros(len(m.y), dtype=np.int64)
        loc[: self.N] = np.arange(self.N)
        for b in m.blocks + m.pp_blocks:
            for k in range(b.n_states):
                loc[b.state_slice(k)] = b.nodes
        for ext in m.extensions:
            where = getattr(ext, "locations", None)
            if where is not None:
                loc[ext.offset : ext.offset + ext.size] = where()
        return np.concatenate([loc[self.cap], loc[self.N :]])

    # -- state vector mapping --------------------------------------------------------
    def state(self):
        """The solver's state vector (in the solver's order)."""
        y = self.model.y
        z = np.concatenate([y[self.cap], y[self.N :]])
        return z if self.perm is None else z[self.perm]

    def load(self, z):
        """Copy a solver state vector into the simulation's state."""
        ycv = z if self.perm is None else z[self.iperm]
        self._load(ycv)

    def _load(self, ycv):
        y = self.model.y
        if self.static_v:
            y[self.N :] = ycv
            return
        y[self.cap] = ycv[: self.nc]
        y[self.N :] = ycv[self.nc :]
        if len(self.zero):
            y[self.zero] = self.Z @ y[self.cap]

    # -- right-hand side ---------------------------------------------------------------
    def refresh(self, t):
        """Currents and assigned values for the state now loaded (for recording)."""
        m = self.model
        ctx = Context(t, np.nan, self.sim.celsius, self.t_phase)
        m.sync_ions(ctx.celsius)
        m.membrane_currents(ctx, slopes=False)

    def _rhs_permuted(self, t, z, zdot):
        w = self._zwork
        self._rhs(t, z[self.iperm], w)
        zdot[:] = w[self.perm]

    def _rhs(self, t, ycv, ydot):
        self.nrhs += 1
        self._load(ycv)
        m = self.model
        out = self._out
        if self.static_v:
            for ext in m.extensions:
                ext.rhs(m, t, out)
            ydot[:] = out[self.N :]
            return
        ctx = Context(t, np.nan, self.sim.celsius, self.t_phase)
        m.sync_ions(ctx.celsius)
        m.membrane_currents(ctx, slopes=False)
        axial = m.G @ m.v
        for b in m.blocks + m.pp_blocks:
            b.derivatives(m.v, m.ions, ctx, out)
        for ext in m.extensions:
            ext.rhs(m, t, out)
        cap = self.cap
        ydot[: self.nc] = (-m.i_total[cap] - axial[cap]) / self.Cc
        ydot[self.nc :] = out[self.N :]

    # -- sparse Jacobian by coloured finite differences -----------------------------------
    def _prepare_jacobian(self):
        m, N, nc = self.model, self.N, self.nc
        pos = -np.ones(N, dtype=np.intp)
        pos[self.cap] = np.arange(nc)
        Gc = abs(m.G.tocsr()[self.cap][:, self.cap])
        G0 = abs(m.G.tocsr()[self.cap][:, self.zero]) @ abs(self.Z)
        rows, cols = [np.arange(self.ncv)], [np.arange(self.ncv)]
        vv = (Gc + G0).tocoo()
        rows.append(vv.row)
        cols.append(vv.col)
        for b in m.blocks + m.pp_blocks:
            if not b.n_states:
                continue
            node_pos = pos[b.nodes]
            ok = node_pos >= 0
            idx = np.array([nc + (b.offset - N) + k * b.n + np.arange(b.n) for k in range(b.n_states)])
            for k in range(b.n_states):
                rows += [node_pos[ok], idx[k][ok]]
                cols += [idx[k][ok], node_pos[ok]]
                for l in range(b.n_states):
                    rows.append(idx[k])
                    cols.append(idx[l])
        ext_parts = []
        analytic = np.zeros(self.ncv, dtype=bool)
        # the states at each node (potential and mechanism states), for coupling
        at_node = [[] for _ in range(N)]
        for k in range(N):
            if pos[k] >= 0:
                at_node[k].append(pos[k])
        for b in m.blocks + m.pp_blocks:
            for k in range(b.n_states):
                for j, node in enumerate(b.nodes):
                    at_node[node].append(nc + (b.offset - N) + k * b.n + j)
        for ext in m.extensions:
            er, ec = ext.jacobian_pattern()
            base = nc + (ext.offset - N)
            rows.append(base + np.asarray(er))
            cols.append(base + np.asarray(ec))
            analytic[base : base + ext.size] = True
            ext_parts.append((ext, base + np.asarray(er), base + np.asarray(ec)))
            local, nodes = ext.coupling()
            for i_loc, node in zip(local, nodes):
                partners = at_node[node]
                if partners:
                    rows += [np.full(len(partners), base + i_loc), np.array(partners)]
                    cols += [np.array(partners), np.full(len(partners), base + i_loc)]
                    analytic[base + i_loc] = False  # coupled columns: finite differences
        r = np.concatenate(rows)
        c = np.concatenate(cols)
        S = sp.csc_matrix((np.ones(len(r)), (r, c)), shape=(self.ncv, self.ncv))
        S.sum_duplicates()
        S.sort_indices()
        S.data[:] = 1.0
        self.sparsity = S
        col_of = np.repeat(np.arange(self.ncv), np.diff(S.indptr))
        keys = col_of * self.ncv + S.indices  # sorted: CSC order
        # extension blocks: analytic values at known positions of the CSC data
        self._ext_jac = []
        for ext, er, ec in ext_parts:
            keep = analytic[ec]  # entries of coupled columns come from finite differences
            self._ext_jac.append((ext, np.searchsorted(keys, ec[keep] * self.ncv + er[keep]), keep))
        # mechanism states: differenced by evaluating their block alone (cable/_fdjac.py)
        self._block_jac = BlockColumns(m, S, self.cap, analytic)
        # the rest (potentials, coupled rxd states, mechanisms that cannot be evaluated
        # alone): finite differences, one full evaluation per colour; taken node by node,
        # potentials and coupled rxd states share colours (ModelDB 168874's dendrite: 4
        # colours instead of 6 with all potentials first)
        by_node = np.lexsort((np.arange(self.ncv), self._locations()))
        colors = greedy_column_colors(S, skip=analytic | self._block_jac.columns, order=by_node)
        self._groups = []
        for c in range(colors.max() + 1):
            members = np.flatnonzero(colors == c)
            p = np.flatnonzero((colors[col_of] == c) & ~(analytic[col_of] & analytic[S.indices]))
            self._groups.append((members, p, S.indices[p], col_of[p]))
        self._fwork = np.zeros(self.ncv)

    def _jac(self, t, y, yp, JJ):
        """The Jacobian's values at ``y`` into ``JJ`` (CSC data of ``self.sparsity``):
        analytic rxd entries, mechanism-state columns from one block at a time, the rest
        by coloured forward differences of the full right-hand side (``yp`` = f(t, y))."""
        JJ[:] = 0.0
        self._load(y)
        for ext, pos, keep in self._ext_jac:
            np.add.at(JJ, pos, ext.jacobian_values(self.model, t)[keep])
        h = 1.5e-8 * np.maximum(np.abs(y), 1.0)
        if self._block_jac.plans:
            ctx = Context(t, np.nan, self.sim.celsius, self.t_phase)
            self.model.sync_ions(ctx.celsius)
            self._block_jac.fill(JJ, ctx, y, h)
        for members, p, rows, cols in self._groups:
            yt = np.array(y)
            yt[members] += h[members]
            self._rhs(t, yt, self._fwork)
            JJ[p] = (self._fwork[rows] - yp[rows]) / h[cols]
        self._load(y)

    # -- 'schur': exact preconditioner of GMRES with mechanism states eliminated ----------
    def _prepare_schur(self):
        from ._schur import SchurSolver

        m, N = self.model, self.N
        local = np.zeros(self.ncv, dtype=bool)
        for b in m.blocks + m.pp_blocks:
            start = self.nc + (b.offset - N)
            local[start : start + b.n_states * b.n] = True
        self._schur = SchurSolver(self.sparsity, local, self._locations())
        self._JJ = np.zeros(self.sparsity.nnz)
        self._Jmat = sp.csc_matrix((self._JJ, self.sparsity.indices, self.sparsity.indptr), shape=self.sparsity.shape)
        self._Jmat.data = self._JJ  # products use the Jacobian of the last setup
        self.njac = 0
        self.nshortcut = 0  # preconditioner solves answered by identity (_psolve)
        self._gamma_p = None
        self._last_product = None
        self._dwork = np.zeros(self.ncv)

    def _psetup(self, t, y, yp, jok, jnew, gamma):
        """CVODE's preconditioner setup: a new Jacobian unless ``jok``, then P = I - gamma J
        factored."""
        if jok:
            jnew[0] = 0
        else:
            self._jac(t, y, yp, self._JJ)
            self.njac += 1
            jnew[0] = 1
        self._schur.factor(self._JJ, gamma)
        self._gamma_p = gamma
        self._last_product = None

    def _psolve(self, t, y, yp, rvec, zvec, gamma, delta, lr):
        """z = P^-1 r. When r is the product (I - gamma J) v that CVODE formed from the
        last ``_jtimes`` (GMRES's Arnoldi step) and gamma is P's, z = v by identity (P is
        I - gamma J with the same J): returned without a solve, which halves the solves
        of a Newton iteration. The test allows the rounding of forming the product:
        max |r - (v - gamma J v)| <= a few ulp of max |v| + gamma max |J v|."""
        last = self._last_product
        if last is not None and gamma == self._gamma_p:
            v, Jv, vmax, Jvmax = last
            d = np.subtract(rvec, v, out=self._dwork)
            d += gamma * Jv
            if np.abs(d, out=d).max() <= _PRODUCT_ROUNDING * (vmax + gamma * Jvmax):
                zvec[:] = v
                self.nshortcut += 1
                return
        zvec[:] = self._schur.solve(rvec)

    def _jtimes(self, t, y, yp, v, Jv):
        """J v with the Jacobian of the last setup (a modified Newton iteration, as with
        a direct solver): with P built from the same J, GMRES converges at once."""
        Jv[:] = self._Jmat @ v
        self._last_product = (np.array(v), np.array(Jv), np.abs(v).max(), np.abs(Jv).max())

    # -- driving ---------------------------------------------------------------------
    def reinit(self):
        """Restart from the simulation's present state (after a discontinuity or a change
        of state by the user)."""
        if self.ncv:
            self.solver.init_step(self.sim.t, self.state())
        self.reinit_requested = False
        self._t_last = None
        self._mark()

    def advance(self, tstop, soft_times, on_soft, every_step=None, events=None):
        """Integrate to ``tstop`` [ms].

        Parameters
        ----------
        soft_times : callable () -> float
            The next time at which ``on_soft`` must run (recording or callback), inf if none.
            Soft times are reached by interpolation inside CVODE's steps, without a restart.
        on_soft : callable (t) -> None
            Runs with the state interpolated at that time.
        every_step : callable () -> None, optional
            Runs after every internal step (per-step recording).
        events : EventQueue, optional
            Network events: the integrator stops exactly at each delivery, restarts after
            it, and detects threshold crossings after every step.
        """
        sim = self.sim
        self._events = events
        self.sync()
        eps = 1e-12 * max(1.0, abs(tstop))
        self._prev_src = events.source_voltages(self.model.v) if events is not None else None
        self._prev_t = sim.t
        while sim.t < tstop - eps:
            if events is not None and events.next_time() <= sim.t + eps:
                if events.deliver_until(sim.t + eps):
                    self.reinit()
                continue
            ahead = self.disc[self.disc > sim.t + eps]
            hard = ahead[0] if len(ahead) else np.inf
            t_event = events.next_time() if events is not None else np.inf
            t_end = min(hard, t_event, tstop)
            self.t_phase = 0.5 * (sim.t + hard) if np.isfinite(hard) else sim.t + 1.0
            restarted = self._stretch(t_end, soft_times, on_soft, every_step)
            if restarted:
                continue
            if events is not None and events.next_time() <= sim.t + eps:
                if events.deliver_until(sim.t + eps):
                    self.reinit()
                    self._prev_src = events.source_voltages(self.model.v)
                    self._prev_t = sim.t
            elif sim.t == hard:
                self.reinit()
        self._mark()

    def _mark(self):
        """Remember the state handed back to the simulation."""
        self._handed = self.state()
        self._handed_t = self.sim.t

    def still_valid(self):
        """False when a potential left out of the ODE (``static_v``) was changed by hand:
        the integrator must then be made anew."""
        return not self.static_v or np.array_equal(self.model.v, self._v0)

    def sync(self):
        """Restart CVODE if the state was changed outside the integrator (a value set by
        hand between runs, with or without cvode.re_init()), as NEURON's re_init would."""
        if self.reinit_requested or self._handed_t != self.sim.t or not np.array_equal(self._handed, self.state()):
            self.reinit()

    def _stretch(self, t_end, soft_times, on_soft, every_step):
        """Internal steps up to ``t_end`` (a hard stop); soft times inside each step are
        served by interpolation. Returns True when a callback asked for a restart."""
        sim = self.sim
        events = getattr(self, "_events", None)
        while True:
            res = self.one_step(t_end)
            t_int, y_int = res.t, res.y
            t_cut = t_int
            if events is not None and len(self._prev_src):
                self.load(y_int)
                events.detect_interpolated(self._prev_src, self._prev_t, self.model.v, t_int)
                self._prev_src = events.source_voltages(self.model.v)
                self._prev_t = t_int
                t_cut = min(t_int, events.next_time())  # an event due inside this step
            ts = soft_times()
            while ts <= t_cut:
                y_ts = y_int if ts == t_int else self._step(ts, "normal", t_end).y
                self.load(y_ts)
                sim.t = ts
                on_soft(ts)
                if self.reinit_requested:
                    self.reinit()
                    return True
                ts = soft_times()
            if t_cut < t_int:
                # go back to the event's time; the caller delivers it and restarts
                self.load(self._step(t_cut, "normal", t_end).y)
                sim.t = t_cut
                events.after_retreat(self.model.v)
                return False
            self.load(y_int)
            sim.t = t_int
            if every_step is not None:
                every_step()
            if t_int >= t_end:
                return False

    def one_step(self, tstop):
        """One internal CVODE step towards ``tstop`` (None: no limit); counts it. With no
        states to integrate, time jumps to ``tstop`` (or to the next event)."""
        if not self.ncv:
            target = tstop if tstop is not None else self.sim.t + 1e9
            if self._events is not None:
                target = min(target, self._events.next_time())
            return _Jump(target, np.zeros(0))
        target = self.sim.t + 1e9 if tstop is None else tstop
        res = self._step(target, "onestep", tstop)
        if res.t == self._t_last:
            # after an interpolated output inside the last step, SUNDIALS reports that step
            # again instead of taking a new one
            res = self._step(target, "onestep", tstop)
        self._t_last = res.t
        self.nsteps += 1
        return res

    def _step(self, t, method, tstop):
        if not self.ncv:
            return _Jump(t, np.zeros(0))
        res = self.solver.step(t, method, tstop=tstop)
        if not res.success:
            raise CableError(f"CVODE failed at t = {res.t} ms: {res.message} (try a larger atol or a smaller dt_max)")
        return res


class _Jump:
    """The result of a 'step' of an empty system: just the time reached."""

    success = True

    def __init__(self, t, y):
        self.t = t
        self.y = y


def _band_order(S, location=None):
    """The narrower-band order of a sparsity pattern, reverse Cuthill-McKee or states
    interleaved by location, and the half bandwidth it gives."""
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    sym = (S + S.T).tocsr()
    coo = sym.tocoo()
    candidates = [np.asarray(reverse_cuthill_mckee(sym, symmetric_mode=True), dtype=np.intp)]
    if location is not None:
        candidates.append(np.lexsort((np.arange(len(location)), location)))
    best = None
    for perm in candidates:
        inv = np.argsort(perm)
        band = int(np.abs(inv[coo.row] - inv[coo.col]).max()) if coo.nnz else 0
        if best is None or band < best[1]:
            best = (perm, band)
    return best
