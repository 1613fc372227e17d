"""The 3D parts of the rxd system (a mixin of ``RxdSystem``): the voxelization shared by
3D regions, the ion currents spread over voxels, and the fixed step's splitting of
reactions and diffusion with their solvers (``rxd/_linsolve3d.py``). See ``docs/rxd3d.md``."""

import numpy as np
import scipy.sparse as sp

from ._discretize3d import VoxelData, voxel_domain
from ._errors import RxdError
from ._linsolve3d import DiffusionSolver, ReactionSolver

__all__ = ["System3D", "spread_current"]


class System3D:
    """3D methods of :class:`rxd._system.RxdSystem`."""

    def _regions(self):
        found = {}
        for s in self.species:
            for r in s.regions:
                found.setdefault(id(r), r)
        for rx in self.reactions:
            for r in [getattr(rx, "membrane", None)] + list(getattr(rx, "regions", None) or []):
                if r is not None:
                    found.setdefault(id(r), r)
        return list(found.values())

    def voxel_domain(self, region):
        """The voxelization shared by the 3D regions with ``region.dx`` (cached while the
        sections' geometry stays the same)."""
        dx = region.dx
        secs, seen = [], set()
        for r in self._regions():
            if r.dx == dx:  # 3D regions, and the 3D sections of hybrid ones
                for sec in r.secs3d:
                    if sec not in seen:
                        seen.add(sec)
                        secs.append(sec)
        if region.secs[0] not in seen:  # a region no species or reaction uses
            secs = list(region.secs)
        fp = _fingerprint(self.sim, secs)
        got = self._domains.get(dx)
        if got is None or got[0] != fp:
            got = self._domains[dx] = (fp, voxel_domain(secs, dx))
        return got[1]

    def _prepare_split(self, P):
        """The two solvers of the 3D fixed step: reactions (I - c R, blocks per place) and
        diffusion (I - c D over the diffusing states)."""
        n = self.size
        mark = np.zeros(P.nnz, dtype=bool)
        for p_ in [self._diag_pos] + [p for nc in self.classes for p in nc.ent_pos]:
            mark[p_] = True
        self._r_pos = np.flatnonzero(mark)
        where = np.full(P.nnz, -1)
        where[self._r_pos] = np.arange(len(self._r_pos))
        self._ent_rpos = [[where[p_] for p_ in nc.ent_pos] for nc in self.classes]
        self._jr = np.zeros(len(self._r_pos))
        self._rsolver = ReactionSolver(self._pat_rows[self._r_pos], self._pat_cols[self._r_pos], n)
        self._dr = np.flatnonzero(self.K.diagonal() != 0)
        dr = self._dr
        self._dsolver = None
        if len(dr):
            ijk, agg = self._voxel_indices()
            blocks = np.zeros(n, dtype=np.int64)
            wholes = {}  # the parts of a species on a hybrid region share a block
            for sor in self.sors:
                k = wholes.setdefault(getattr(sor, "whole", sor), len(wholes))
                blocks[self.sor_offset[sor] : self.sor_offset[sor] + self._disc(sor).n] = k
            Kd = self.K[dr][:, dr].tocsr()
            Kd.sum_duplicates()
            self._Ddd = self.D[dr][:, dr].tocsr()
            self._dsolver = DiffusionSolver(Kd, self.volume[dr], blocks[dr], ijk[dr], agg[dr], method=self.method3d)
        from ._system import _span

        self._dr_ix = _span(dr)  # a slice when the diffusing states are consecutive
        self._dsrc = None  # by _split_sources at the first step (the coupling comes later)
        self._d_step = None

    @property
    def method3d(self):
        """str: how the 3D fixed step solves diffusion ("auto", "adi" or "cg"; see
        ``rxd._linsolve3d``), set by ``rxd.set_solve_type(method=...)``."""
        return self._method3d

    @method3d.setter
    def method3d(self, value):
        self._method3d = value
        if getattr(self, "_dsolver", None) is not None:
            self._dsolver.method = value
            self._d_step = None  # factor again at the next step

    def _voxel_indices(self):
        """Per rxd state: its voxel (I, J, K) for 3D regions (states of regions on the same
        voxel share it); for 1D states distinct far-apart values (never neighbours). And an
        aggregate label for the two-level CG solve (a block of 4^3 voxels per species on a
        region; each 1D state alone)."""
        ijk = np.zeros((self.size, 3), dtype=np.int64)
        agg = np.zeros(self.size, dtype=np.int64)
        nblk = 0
        for k, sor in enumerate(self.sors):
            data = self._disc(sor)
            off = self.sor_offset[sor]
            sl = slice(off, off + data.n)
            if isinstance(data, VoxelData):
                ijk[sl] = data.ijk
                if data.n:
                    b = (data.ijk - data.ijk.min(axis=0)) // _COARSE_BLOCK
                    span = b.max(axis=0) + 1
                    agg[sl] = nblk + (b[:, 0] * span[1] + b[:, 1]) * span[2] + b[:, 2]
                    nblk += int(np.prod(span))
            else:
                ijk[sl, 0] = -(1 << 40) - 4 * np.arange(off, off + data.n)
                agg[sl] = nblk + np.arange(data.n)
                nblk += data.n
        return ijk, agg

    def _fixed_step_3d(self, dt):
        """Alternating Lie splitting of reactions and diffusion: a whole step of the
        reactions then a whole step of diffusion, at the next step diffusion first (second
        order over every pair of steps; measured errors 1.2 to 2.3 times those of Strang's
        half steps, for half the reaction work: docs/rxd3d.md). Reactions by ROS2 with
        their exact Jacobian. Diffusion (with the ion currents of the diffusing species as constant
        sources) by :meth:`_diffusion_step`. A W = (I - c D)(I - c R) over the whole system
        is cheaper but was measured unstable with a stiff buffer (kf 100 /mM/ms) at
        dt = 0.1 ms on a 3D cylinder. The currents go with diffusion because they enter the
        membrane voxels, some of them with little volume: split from diffusion, those would
        overshoot."""
        if self._dsrc is None:
            self._split_sources()
        self._parity ^= 1
        if self._parity:
            self._reaction_step(dt)
            self._diffusion_step(dt)
        else:
            self._diffusion_step(dt)
            self._reaction_step(dt)
        if not np.isfinite(self.y.sum()):  # one pass: a sum is finite iff every term is
            raise RxdError(
                f"the 3D step (dt = {dt} ms, diffusion by {self._dsolver.used if self._dsolver else 'none'}) "
                "produced values that are not finite; use a smaller dt, or "
                "rxd.set_solve_type(method='cg') for long steps"
            )

    def _reaction_step(self, h):
        """A whole step of everything but diffusion: ROS2 with the exact Jacobian; when the
        reactions are linear with constant coefficients and each state reacts only with
        itself (a pump, a decay to rest: f = a y + b with a constant per state), the exact
        step y + h phi1(h a) f(y), phi1(z) = (e^z - 1) / z (one evaluation of f instead of
        two and two solves)."""
        y, f = self.y, self._f
        self.local_rhs(y, f, diffusion=False, sources=False)
        self._add_rest_sources(f)
        solver = self._rsolver
        exact = not self._jac_varies and solver.diagonal
        if self._refactor_due(h):
            R = self._reaction_jacobian(y)
            if exact:
                self._h_phi1 = _h_phi1(R, solver.rows, len(y), h)
            else:
                solver.factor(R, self.GAMMA * h)
        if exact:
            f *= self._h_phi1
            y += f
            return
        if getattr(self, "_w", None) is None or len(self._w) != len(y):
            self._w = np.empty(len(y))
        w = self._w
        k1 = solver.solve(f)
        np.multiply(k1, h, out=w)
        w += y  # y + h k1
        self.local_rhs(w, f, diffusion=False, sources=False)
        self._add_rest_sources(f)
        f -= k1
        f -= k1
        k2 = solver.solve(f)
        # y + h (3 k1 + k2) / 2 = (y + h k1) + h (k1 + k2) / 2
        k2 += k1
        k2 *= 0.5 * h
        np.add(w, k2, out=y)

    def _reaction_jacobian(self, y):
        """The values of the reaction Jacobian on its own pattern (``_r_pos`` of the
        system's), without the diffusion entries."""
        self._jr.fill(0.0)
        return self._add_reaction_jacobian(self._jr, self._ent_rpos, y)

    def _add_rest_sources(self, f):
        """The ion currents of the states that do not diffuse, into d/dt ``f``."""
        ions = self.model.ions
        for ion, rows, nodes, scale in self._rsrc:
            f[rows] += scale * ions[ion].i[nodes]

    def _diffusion_sources(self):
        """The ion currents' sources of the diffusing states [mM/ms]: (positions among the
        diffusing states, values)."""
        ions = self.model.ions
        for ion, pos, nodes, scale, _ in self._dsrc:
            yield pos, scale * ions[ion].i[nodes]

    def _diffusion_step(self, h):
        """A whole step of diffusion. With "adi": Crank-Nicolson in delta form on the
        approximate factorization, (I - h/2 D_x)(I - h/2 D_y)(I - h/2 D_z)(I - h/2 D_rest)
        dy = h (D y + s): one ADI solve per step, second order (the factorization differs
        from I - h/2 D by O(h^2) terms acting on dy = O(h)), mass kept by every factor,
        and measured 4 to 18 times more accurate than ROS2 with the same factors (whose
        W-method order drops where lines end at the staircase boundary) at half the work.
        With "cg" (long steps): ROS2 with W = I - gamma h D exactly (L-stable: the stiff
        modes of long steps are damped, which Crank-Nicolson would not do)."""
        solver = self._dsolver
        if solver is None:
            return
        if self._d_step != h:  # D is constant: factor once per dt
            use = solver.pick(self.GAMMA * h)
            self._d_cn = use == "adi"
            solver.factor(0.5 * h if self._d_cn else self.GAMMA * h, use)
            self._d_step = h
            if self._d_cn:
                self._cn_operator(h)
        ix = self._dr_ix
        if self._d_cn:
            ions = self.model.ions
            vb = self._cn_B @ np.concatenate([self.y[ix]] + [ions[ion].i for ion in self._cn_ions])
            self.y[ix] += solver.solve_vb(vb, first=True)  # dy
            return
        D = self._Ddd
        src = np.zeros(len(self._dr))
        for pos, v in self._diffusion_sources():
            src[pos] += v
        yd = self.y[ix]
        k1 = solver.solve(D @ yd + src, 0)
        k2 = solver.solve(D @ (yd + h * k1) + src - 2.0 * k1, 1)
        self.y[ix] = yd + h * (1.5 * k1 + 0.5 * k2)

    def _cn_operator(self, h):
        """The right-hand side of the Crank-Nicolson diffusion step, h V (D y + s), as one
        sparse product ``_cn_B @ [y, i_ion1, i_ion2, ...]`` (rows in the order the ADI
        solve starts from; the ion currents [mA/cm2] of all cable nodes appended: one
        product instead of a gather and a scatter per ion, 19 -> ~3 us on a cylinder)."""
        solver = self._dsolver
        m = len(self._dr)
        order = solver.first_order()
        at = np.arange(m) if order is None else np.argsort(order)
        n_nodes = self.model.n_nodes
        self._cn_ions = sorted({ion for ion, *_ in self._dsrc})
        rows, cols, vals = [], [], []
        for ion, pos, nodes, _, vscale in self._dsrc:
            rows.append(at[pos])
            cols.append(m + self._cn_ions.index(ion) * n_nodes + np.asarray(nodes))
            vals.append(h * vscale)
        K = (solver.K if order is None else solver.K[order]).tocoo()
        self._cn_B = sp.csr_matrix(
            (np.concatenate([h * K.data] + vals), (np.concatenate([K.row] + rows), np.concatenate([K.col] + cols))),
            shape=(m, m + len(self._cn_ions) * n_nodes),
        )

    def _split_sources(self):
        """The ion coupling's sources split between diffusion (states that diffuse) and the
        reactions (the rest), each as rows, cable nodes and scales where the scale is not
        zero."""
        n = self.size
        where = np.full(n, -1)
        where[self._dr] = np.arange(len(self._dr))
        self._dsrc, self._rsrc = [], []
        for sor, ion, kind, rows, nodes, scale in self.coupled:
            r = np.arange(n)[rows]
            scale = np.broadcast_to(np.asarray(scale, dtype=float), r.shape)
            keep = scale != 0
            r, nd, sc = r[keep], np.asarray(nodes)[keep], scale[keep]
            p = where[r]
            d = p >= 0
            if d.any():
                self._dsrc.append((ion, p[d], nd[d], sc[d], sc[d] * self.volume[r[d]]))
            if not d.all():
                self._rsrc.append((ion, r[~d], nd[~d], sc[~d]))


def _h_phi1(R, rows, n, h):
    """h phi1(h a) per state, a the diagonal Jacobian ``R`` at ``rows`` (0 elsewhere),
    phi1(z) = (e^z - 1) / z, phi1(0) = 1: the exact step of y' = a y + b is
    y + h phi1(h a) (a y + b)."""
    z = np.zeros(n)
    z[rows] = h * np.asarray(R)
    zero = z == 0
    return h * np.where(zero, 1.0, np.expm1(z) / np.where(zero, 1.0, z))


#: Voxels per edge of the blocks whose connected parts are the coarse unknowns of the
#: two-level diffusion solve.
_COARSE_BLOCK = 4


def spread_current(data, nodes, cable_area):
    """3D ion coupling: each segment's current (density i times the cable's segment area)
    spread over its voxels in proportion to their membrane area (by volume for a segment
    whose voxels have none); returns per voxel A_seg w / V [1/um], with the segment index
    of each voxel and the segments' cable nodes."""
    seg_nodes, seg_of = np.unique(nodes, return_inverse=True)
    mem = data.membrane_um2
    msum = np.bincount(seg_of, weights=mem, minlength=len(seg_nodes))
    vsum = np.bincount(seg_of, weights=data.volume, minlength=len(seg_nodes))
    by_area = msum[seg_of] > 0
    w = np.where(by_area, mem / np.where(by_area, msum[seg_of], 1.0), data.volume / vsum[seg_of])
    # surface_fraction: the part of the membrane facing this compartment
    scale = data.surface_fraction * cable_area[nodes] * w / data.volume
    return scale, seg_of, seg_nodes


def _fingerprint(sim, secs):
    """What a voxelization depends on: the sections' 3-D points, lengths, diameters, nseg
    and connections (all sections: layouts follow parents)."""
    parts = [tuple(id(s) for s in secs)]
    for s in sim.sections:
        pts = np.array([[s.x3d(i), s.y3d(i), s.z3d(i), s.diam3d(i)] for i in range(s.n3d())])
        parent = None if s.parent is None else (id(s.parent[0]), s.parent[1])
        diam = np.array([seg.diam for seg in s])
        parts.append((id(s), s.nseg, s.L, s.child_end, parent, pts.tobytes(), diam.tobytes()))
    return tuple(parts)
