"""Finite-difference Jacobians: column colouring, and the columns of mechanism states
differenced one mechanism block at a time.

A state of block b at node i enters only b's own state derivatives at that node, b's
membrane current at node i (the potential's row, through ``i_total / C``) and, when b
writes the current of an ion that an extension reads (rxd's ``ica`` source), the
extension's rows coupled to node i. Such columns are differenced by evaluating block b
alone (its currents and derivatives into scratch arrays), not the whole right-hand side:
the extension's rows follow from b's ion current and the extension's sensitivity to the
ion current, probed once per Jacobian. Columns of potentials and rxd states, and those
of blocks that cannot be evaluated alone, stay with full right-hand-side evaluations
(``CvodeIntegrator._jac``).
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["BlockColumns", "greedy_column_colors"]

#: Ion current step [mA/cm2] that probes an extension's response to membrane currents;
#: rxd's sources are linear in the current (d[C]/dt = scale * i), so the probe is exact
#: for any step and this one keeps rounding at eps relative to the coefficient.
_ION_PROBE = 1.0


@dataclass
class _Colour:
    """One finite-difference evaluation of a block: which states move and which entries of
    the Jacobian's CSC data they fill.

    ``flat``: the perturbed states as indices into the block's states (k * n + j);
    ``cols``: the same states as solver columns. Entries by row kind: the block's own
    state rows (``s_pos``, ``s_row`` block-local row, ``s_col``); the potential rows
    (``v_pos``, ``v_inst`` instance, ``v_w`` the factor from the block's current unit to
    d v/dt [mV/ms per unit], ``v_col``); coupled extension rows (``e_pos``, ``e_inst``,
    ``e_row`` solver row, ``e_col``).
    """

    flat: np.ndarray
    cols: np.ndarray
    s_pos: np.ndarray
    s_row: np.ndarray
    s_col: np.ndarray
    v_pos: np.ndarray
    v_inst: np.ndarray
    v_w: np.ndarray
    v_col: np.ndarray
    e_pos: np.ndarray
    e_inst: np.ndarray
    e_row: np.ndarray
    e_col: np.ndarray


@dataclass
class _BlockPlan:
    """A block evaluated alone: its colours and the scale of each written ion's current to
    the ion arrays' unit [mA/cm2] (1 for density mechanisms, 100 / area for point
    processes)."""

    block: object
    colours: list
    ion_scales: dict


class BlockColumns:
    """The columns of mechanism states that are differenced block by block.

    Parameters
    ----------
    model : Model
    S : scipy.sparse.csc_matrix, shape (ncv, ncv)
        The Jacobian's sparsity pattern in the solver's (unpermuted) order, indices sorted.
    cap : ndarray of int, shape (nc,)
        The nodes whose potentials are the first ``nc`` solver states.
    skip : ndarray of bool, shape (ncv,)
        Columns filled otherwise (analytic extension columns).

    Attributes
    ----------
    columns : ndarray of bool, shape (ncv,)
        The columns this object fills (the others need full evaluations).
    plans : list of _BlockPlan
    """

    def __init__(self, model, S, cap, skip):
        m = self.model = model
        N, nc, ncv = m.n_nodes, len(cap), S.shape[0]
        self.columns = np.zeros(ncv, dtype=bool)
        self.plans = []
        self._dwork = np.zeros(len(m.y))
        self._ework = np.zeros(len(m.y))
        # what each solver row is: the potential of a node, or an extension state coupled
        # to a node (rxd concentrations fed by the ion currents)
        self._v_node = -np.ones(ncv, dtype=np.intp)
        self._v_node[:nc] = cap
        self._ext_node = -np.ones(ncv, dtype=np.intp)
        self._probes = []  # (extension, ions read, solver rows, local rows)
        unsafe = _ions_read_as_current(m)
        for ext in m.extensions:
            local, nodes = ext.coupling()
            if not len(local):
                continue
            read = _ions_read_by(ext, m)
            if len(np.unique(local)) < len(local):
                unsafe |= read  # a state fed at several nodes: leave to full evaluations
                continue
            rows = nc + (ext.offset - N) + np.asarray(local)
            self._ext_node[rows] = nodes
            self._probes.append((ext, read, rows, np.asarray(local)))
        probed = set()
        for b in m.blocks + m.pp_blocks:
            ions = b.written_ions
            if not b.n_states or ions & unsafe or b.ion_currents_read:
                continue
            plan = self._plan(b, S, N, nc, skip, ions)
            if plan is not None:
                self.plans.append(plan)
                probed |= ions
        self._probes = [(e, read & probed, r, loc) for e, read, r, loc in self._probes if read & probed]

    def _plan(self, b, S, N, nc, skip, ions):
        """Colours of block ``b``'s columns and the entries each fills; None when an entry
        lies outside what the block's evaluation gives."""
        m = self.model
        start = nc + (b.offset - N)
        mine = np.zeros(S.shape[1], dtype=bool)
        mine[start : start + b.size] = True
        if (mine & skip).any():
            return None
        colors = greedy_column_colors(S, skip=~mine)
        area_scale = np.broadcast_to(np.asarray(b.area_scale, dtype=float), (b.n,))
        colours = []
        for c in range(colors.max() + 1):
            cols = np.flatnonzero(colors == c)
            flat = cols - start
            counts = np.diff(S.indptr)[cols]
            p = np.concatenate([np.arange(S.indptr[j], S.indptr[j + 1]) for j in cols])
            col = np.repeat(cols, counts)
            inst = np.repeat(flat % b.n, counts)
            node = b.nodes[inst]
            rows = S.indices[p]
            own = (rows >= start) & (rows < start + b.size) & ((rows - start) % b.n == inst)
            vrow = ~own & (self._v_node[rows] == node)
            erow = ~own & ~vrow & (self._ext_node[rows] == node)
            if not (own | vrow | erow).all():
                return None
            v_w = -area_scale[inst[vrow]] / m.C[node[vrow]]
            colours.append(
                _Colour(
                    flat=flat,
                    cols=cols,
                    s_pos=p[own],
                    s_row=rows[own] - start,
                    s_col=col[own],
                    v_pos=p[vrow],
                    v_inst=inst[vrow],
                    v_w=v_w,
                    v_col=col[vrow],
                    e_pos=p[erow],
                    e_inst=inst[erow],
                    e_row=rows[erow],
                    e_col=col[erow],
                )
            )
        self.columns[start : start + b.size] = True
        ion_scale = np.broadcast_to(np.asarray(getattr(b, "ion_scale", 1.0), dtype=float), (b.n,))
        return _BlockPlan(b, colours, {ion: ion_scale for ion in ions})

    def _ion_coefficients(self, t, ncv):
        """d(extension row)/d(ion current at its node) [state/ms per mA/cm2] for every ion
        that an evaluated block writes and an extension reads, as arrays over solver rows.
        The ion arrays are restored afterwards."""
        m = self.model
        coef = {}
        out = self._ework
        for ext, ions, rows, local in self._probes:
            sl = slice(ext.offset, ext.offset + ext.size)
            ext.rhs(m, t, out)
            base = out[sl][local]
            for ion in ions:
                arr = m.ions[ion].i
                saved = arr.copy()
                arr += _ION_PROBE
                try:
                    ext.rhs(m, t, out)
                finally:
                    arr[:] = saved
                c = coef.setdefault(ion, np.zeros(ncv))
                c[rows] += (out[sl][local] - base) / _ION_PROBE
        return coef

    def _evaluate(self, b, ctx):
        """Block ``b`` alone at the loaded state: (summed current [block unit], currents by
        ion [block unit], d(states)/dt [1/ms] as a copy)."""
        m = self.model
        total, by_ion = b.current_terms(m.v, m.ions, ctx)
        b.derivatives(m.v, m.ions, ctx, self._dwork)
        return total, by_ion, self._dwork[b.offset : b.offset + b.size].copy()

    def fill(self, JJ, ctx, y, h):
        """Fill this object's entries of ``JJ`` (CSC data of the pattern) by forward
        differences with steps ``h`` (solver order).

        The model must hold the state ``y`` (solver order, unpermuted) with the ion arrays
        synchronized (``Model.sync_ions``). Each block is evaluated at every colour's
        perturbed states and last at ``y`` itself, so its functions' stored values end as
        after an evaluation at ``y``; nothing shared is written (the states are restored
        exactly, the ion arrays after the probe).
        """
        if not self.plans:
            return
        coef = self._ion_coefficients(ctx.t, len(y)) if self._probes else {}
        my = self.model.y
        for plan in self.plans:
            b = plan.block
            states = my[b.offset : b.offset + b.size]
            moved = []
            for c in plan.colours:
                states[c.flat] += h[c.cols]
                moved.append(self._evaluate(b, ctx))
                states[c.flat] = y[c.cols]
            tot0, ion0, d0 = self._evaluate(b, ctx)
            for c, (tot1, ion1, d1) in zip(plan.colours, moved):
                JJ[c.s_pos] = (d1[c.s_row] - d0[c.s_row]) / h[c.s_col]
                JJ[c.v_pos] = c.v_w * (tot1[c.v_inst] - tot0[c.v_inst]) / h[c.v_col]
                if len(c.e_pos):
                    acc = np.zeros(len(c.e_pos))
                    for ion, scale in plan.ion_scales.items():
                        if ion in coef:
                            di = ion1[ion][c.e_inst] - ion0[ion][c.e_inst]
                            acc += coef[ion][c.e_row] * scale[c.e_inst] * di
                    JJ[c.e_pos] = acc / h[c.e_col]


def _ions_read_as_current(m):
    """Ions whose summed current a mechanism reads (``USEION x READ ix``): the blocks
    writing them change that mechanism too, so they are not evaluated alone."""
    return {ion for b in m.blocks + m.pp_blocks for ion in b.ion_currents_read}


def _ions_read_by(ext, m):
    """The ions whose membrane currents an extension may read: those it defines
    (``ion_charges``; rxd's ion species), else all."""
    f = getattr(ext, "ion_charges", None)
    return set(f()) if f is not None else set(m.ions)


def greedy_column_colors(S, skip=None, order=None):
    """Colour the columns of a sparsity pattern so that no two columns of one colour share
    a row (so one finite-difference evaluation fills all of them), greedily in ``order``
    (default: by index). Columns in ``skip`` get colour -1 (not differenced)."""
    n = S.shape[1]
    R = S.tocsr()
    colors = -np.ones(n, dtype=np.intp)
    for j in range(n) if order is None else order:
        if skip is not None and skip[j]:
            continue
        rows = S.indices[S.indptr[j] : S.indptr[j + 1]]
        nbr = np.concatenate([R.indices[R.indptr[r] : R.indptr[r + 1]] for r in rows]) if len(rows) else []
        used = set(colors[nbr][colors[nbr] >= 0].tolist()) if len(nbr) else set()
        c = 0
        while c in used:
            c += 1
        colors[j] = c
    return colors
