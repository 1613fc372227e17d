"""The linear solves of the 3D fixed step (see ``RxdSystem._fixed_step_3d``).

With 3D regions the fixed step splits reactions from diffusion: a whole step of everything
but diffusion (ROS2 with its exact Jacobian) and a whole step of diffusion, in alternating
order. The reaction Jacobian couples only states at one place, so ``I - c R`` is solved
block by block (:class:`ReactionSolver`). The diffusion Jacobian D is constant and
symmetric in the volume-weighted inner product: every solve is ``(V - c K) y = V b`` with K
the symmetric conductance matrix [um3/ms] (K's columns sum to zero, so a solve keeps each
species' total amount sum(V y) = sum(V b)) by :class:`DiffusionSolver`:

* "adi": W = (I - c D_x)(I - c D_y)(I - c D_z)(I - c D_rest), an approximate factorization,
  used with c = dt / 2 by Crank-Nicolson in delta form, W dy = dt (D y + s) (Beam and
  Warming 1978, AIAA J 16:393; Douglas and Gunn 1964, Numer Math 6:428): W differs from
  I - dt/2 D by O(dt^2) terms that act on dy = O(dt), so the step stays second order.
  D_x holds the faces along x, ...; D_rest the bridges of ``rxd._discretize3d`` and any 1D
  diffusion (a small sparse LU). The faces along one axis join voxels into lines; laid end
  to end they make one tridiagonal system, factored once per dt and solved by LAPACK
  (``dpttrs``). Cost: one pass over the voxels each way per axis, whatever dt.
  The factors do not commute where lines end at a staircase boundary: the splitting error
  lives there, and for long steps (dt D / dx^2 of order 20 and more) the step rings or
  becomes unstable, hence "auto".
* "cg": W = I - c D exactly, by conjugate gradients with a Jacobi preconditioner; when
  c K / V is large, an additive two-level preconditioner (constant on aggregates: the
  connected voxels of one species within a block of 4^3) keeps the iteration count nearly
  independent of dt. Stopped at a relative residual of ``rtol`` (1e-6) per species on a
  region, then a constant shift per species makes the residual's sum zero: mass is kept
  to rounding.
* "auto" (default): "adi" while gamma dt median(K_ii / V_i) <= ``adi_max`` (about
  gamma dt 6 D / dx^2 for full voxels), else "cg".
"""

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.linalg import lapack
from scipy.sparse.linalg import splu

from ._linsolve import BlockSolver

__all__ = ["METHODS", "DiffusionSolver", "ReactionSolver"]

METHODS = ("auto", "adi", "cg")


class _AxisLines:
    """(V - c K_a) y = V b for the conductances along one axis, all lines at once.

    The lines laid end to end make one symmetric positive definite tridiagonal matrix
    (zero coupling where a line ends), factored once per ``c`` by LAPACK's ``dpttrf``
    (L D L^T) and solved by ``dpttrs``: one compiled pass over the states each way, in the
    lines' order (a reordering of the states before and after). When the lines are short
    (the states' mean line length at most ``explicit_mean``: thin processes across, a
    cylinder of 8 voxels across at dx 0.25), the inverse itself, (V - c K_a)^-1 V, is
    formed line by line (dense blocks) as a sparse matrix in the states' own order:
    one sparse product then replaces the solve and its reorderings (cylinder: 30 us
    against 43 us for an axis of 4800 states).

    Parameters
    ----------
    order : ndarray of int (m,)
        The states sorted into lines (consecutive states of one line are neighbours).
    link : ndarray (m - 1,) [um3/ms]
        Conductance between consecutive states of ``order`` (0: a line ends there).
    V : ndarray (m,) [um3]
        Volumes in the states' own order.
    fold : bool
        Whether the explicit inverse takes b (it is (V - c K_a)^-1 V), or V b (it is
        (V - c K_a)^-1: the first axis, given V times the right-hand side).
    """

    #: the explicit inverse has sum(L^2) = m x this mean entries; a sparse product costs
    #: about 0.9 ns an entry, the solve with its reorderings about 9 ns a state
    explicit_mean = 8.0
    #: and no line longer than this (the dense blocks' size)
    explicit_longest = 24

    def __init__(self, order, link, V, fold=True):
        self.fold = fold
        self.perm = np.asarray(order, dtype=np.intp)
        self.link = np.asarray(link, dtype=float)
        self.V = np.asarray(V, dtype=float)[self.perm]
        m = len(self.perm)
        self.gsum = np.zeros(m)  # conductance to both neighbours on the line
        self.gsum[:-1] += self.link
        self.gsum[1:] += self.link
        ends = np.flatnonzero(self.link == 0) + 1
        self._starts = np.concatenate([[0], ends]) if m else np.zeros(0, dtype=np.intp)
        self._lens = np.diff(np.concatenate([self._starts, [m]]))
        self.explicit = bool(
            m and self._lens.max() <= self.explicit_longest and (self._lens**2).sum() <= self.explicit_mean * m
        )
        self._inv = None

    def factor(self, c):
        if self.explicit:
            self._inv = self._inverse(c)
            return
        d, e, info = lapack.dpttrf(self.V + c * self.gsum, -c * self.link)
        if info != 0:  # pragma: no cover - V > 0 and c K_a >= 0 make it positive definite
            raise np.linalg.LinAlgError(f"dpttrf failed (info {info}) for the axis factor at c = {c}")
        self._d, self._e = d, e

    def _inverse(self, c):
        """(V - c K_a)^-1 V (without ``fold``: (V - c K_a)^-1) as CSR in the states' order:
        the inverse of each line's tridiagonal block, stacked by line length and inverted
        together."""
        m = len(self.perm)
        diag, off = self.V + c * self.gsum, -c * self.link
        rows, cols, vals = [], [], []
        for n in np.unique(self._lens):
            at = self._starts[self._lens == n][:, None] + np.arange(n)  # (lines, n)
            A = np.zeros((len(at), n, n))
            k = np.arange(n)
            A[:, k, k] = diag[at]
            if n > 1:
                A[:, k[:-1], k[1:]] = A[:, k[1:], k[:-1]] = off[at[:, :-1]]
            inv = np.linalg.inv(A)
            if self.fold:
                inv *= self.V[at][:, None, :]
            states = self.perm[at]
            rows.append(np.broadcast_to(states[:, :, None], inv.shape).ravel())
            cols.append(np.broadcast_to(states[:, None, :], inv.shape).ravel())
            vals.append(inv.ravel())
        M = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m, m))
        M.sort_indices()
        return M

    def solve(self, y):
        """The solution for the right-hand side ``y``: V b in this axis' line order (the
        solve; done in place), or with ``explicit`` in the states' order b (V b without
        ``fold``; a new array)."""
        if self.explicit:
            return self._inv @ y
        if not len(y):
            return y
        x, info = lapack.dpttrs(self._d, self._e, y, overwrite_b=True)
        return x  # y itself (contiguous float64: LAPACK works in place)


class _Lines:
    """The three axis factors and the rest (bridges, 1D), applied in turn (x, y, z; the
    order is the same at every step: alternating it from step to step was measured
    unstable, and starting with z made the splitting error on the tilted cylinder of
    tests/rxd/test_rxd3d.py 12 times larger)."""

    def __init__(self, K, V, ijk, blocks):
        m = K.shape[0]
        Kc = sp.triu(K, k=1).tocoo()
        i, j, g = Kc.row.astype(np.intp), Kc.col.astype(np.intp), Kc.data
        diff = ijk[j] - ijk[i]
        axis = np.full(len(i), -1)
        for a in range(3):
            unit = np.zeros(3, dtype=diff.dtype)
            unit[a] = 1
            axis[np.all(diff == unit, axis=1) | np.all(diff == -unit, axis=1)] = a
        self.axes = []
        for a in range(3):
            sel = axis == a
            lo, hi = np.minimum(i[sel], j[sel]), np.maximum(i[sel], j[sel])
            key = lo.astype(np.int64) * m + hi
            srt = np.argsort(key)
            key, gs = key[srt], g[sel][srt]
            # lines in order of the other two coordinates, the faster one being the axis
            # before (z for x: the states' own order): neighbouring lines then read
            # neighbouring places of the previous layout (x -> y reorder 3.3 -> 1.3 ms on
            # mp_ma at dx 0.25). Lines are independent: their order changes no number.
            fast = (a - 1) % 3 if a else 2
            slow = 3 - a - fast
            order = np.lexsort((ijk[:, a], ijk[:, fast], ijk[:, slow], blocks))
            u, w = order[:-1], order[1:]
            link = np.zeros(max(m - 1, 0))
            if len(key):
                ck = np.minimum(u, w).astype(np.int64) * m + np.maximum(u, w)
                pos = np.minimum(np.searchsorted(key, ck), len(key) - 1)
                hit = key[pos] == ck
                link[hit] = gs[pos[hit]]
            self.axes.append(_AxisLines(order, link, V, fold=a > 0))
        # chain the layouts (an axis solved by dpttrs works in its lines' order, an
        # explicit one in the states'): into[k] reorders for axis k, back to the states'
        # order after the last; identity layouts (the voxels are numbered in C order, z
        # fastest: z's lines are the states' own order) are skipped: a gather of a million
        # voxels costs ~1 ms
        layouts = [None if ax.explicit else ax.perm for ax in self.axes]
        self.into = [_reorder(p, q) for p, q in zip([None] + layouts[:-1], layouts)]
        self.back = _reorder(layouts[-1], None)
        rest = axis < 0
        self.rest = None
        if rest.any():
            ri, rj, rg = i[rest], j[rest], g[rest]
            rows = np.unique(np.concatenate([ri, rj]))
            where = np.full(m, -1)
            where[rows] = np.arange(len(rows))
            a, b = where[ri], where[rj]
            Kr = sp.coo_matrix((np.concatenate([rg, rg, -rg, -rg]),
                                (np.concatenate([a, b, a, b]), np.concatenate([b, a, a, b]))),
                               shape=(len(rows),) * 2).tocsc()
            self.rest = (rows, Kr, V[rows])
        self.V = V
        self._work = None

    def factor(self, c):
        for ax in self.axes:
            ax.factor(c)
        if self.rest is not None:
            _, k_rest, v_rest = self.rest
            self._rest_lu = splu((sp.diags(v_rest) - c * k_rest).tocsc())

    def solve_vb(self, vb, first=False):
        """x with W x = V^-1 ``vb`` (``vb`` is overwritten; x is a work array of this
        solver, valid until its next solve). With ``first``, ``vb`` is in the first axis'
        order (``into[0]``: ``vb = K[into[0]] @ y`` saves a reordering), x in the states'."""
        m = len(vb)
        if self._work is None or len(self._work[0]) != m:
            self._work = (np.empty(m), np.empty(m))
        buf, other = self._work
        y = vb
        for k, (ax, into) in enumerate(zip(self.axes, self.into)):
            if into is not None and not (first and k == 0):
                y = np.take(y, into, out=buf, mode="clip")  # clip: unbuffered (valid indices)
                buf, other = other, buf
            if k and not ax.explicit:
                y *= ax.V
            y = ax.solve(y)  # in place (y is vb or a work array), or a new array
        if self.back is not None:
            y = np.take(y, self.back, out=buf, mode="clip")
        if self.rest is not None:
            rows, _, v_rest = self.rest
            y[rows] = self._rest_lu.solve(v_rest * y[rows])
        return y


def _reorder(src, dst):
    """The gather ``new = old[p]`` from the layout ``src`` to ``dst`` (each: the state at
    every place, None for the states' own order); None when nothing moves."""
    if src is None:
        p = dst
    else:
        p = np.argsort(src)
        p = p if dst is None else p[dst]
    return None if p is None or _is_identity(p) else p


def _is_identity(p):
    return bool(np.array_equal(p, np.arange(len(p))))


class _ConjugateGradients:
    """(V - c K) y = V b by preconditioned conjugate gradients (see the module docstring)."""

    rtol = 1e-6
    maxiter = 5000
    #: the two-level preconditioner is used when c median(K_ii / V_i) exceeds this (the
    #: median: Jacobi scaling takes care of the few cut voxels with large rates)
    coarse_above = 16.0

    def __init__(self, K, V, starts, block_of, coarse_key):
        m = K.shape[0]
        A = (abs(K) + sp.identity(m, format="csr")).tocsr()  # the pattern (no cancellation)
        A.sum_duplicates()
        A.sort_indices()
        arow = np.repeat(np.arange(m), np.diff(A.indptr))
        akey = arow.astype(np.int64) * m + A.indices
        Kc = K.tocoo()
        self._kpos = np.searchsorted(akey, Kc.row.astype(np.int64) * m + Kc.col)
        self._kdat = Kc.data
        self._vpos = np.searchsorted(akey, np.arange(m, dtype=np.int64) * (m + 1))
        self.A, self.K, self.V = A, K, V
        self.starts, self.block_of = starts, block_of
        self.Vblock = np.add.reduceat(V, starts)
        self.rate_median = float(np.median(np.abs(K.diagonal()) / V))
        self.coarse_key = coarse_key
        self._agg = None
        self._coarse = None
        self._last = {}
        self.iterations = []

    def factor(self, c):
        A = self.A
        A.data.fill(0.0)
        A.data[self._kpos] -= c * self._kdat
        A.data[self._vpos] += self.V
        self.Minv = 1.0 / A.data[self._vpos]
        self._coarse = None
        if self.coarse_key is not None and c * self.rate_median > self.coarse_above:
            self._aggregates()
            self._coarse = splu((sp.diags(self._Vc) - c * self._Kc).tocsc())

    def _aggregates(self):
        if self._agg is None:
            Kc = self.K.tocoo()
            same = self.coarse_key[Kc.row] == self.coarse_key[Kc.col]
            m = self.K.shape[0]
            G = sp.coo_matrix((np.ones(int(same.sum())), (Kc.row[same], Kc.col[same])), shape=(m, m))
            self._nagg, self._agg = connected_components(G, directed=False)
            P = sp.csr_matrix((np.ones(m), (np.arange(m), self._agg)), shape=(m, self._nagg))
            self._Kc = (P.T @ self.K @ P).tocsc()
            self._Vc = np.bincount(self._agg, weights=self.V, minlength=self._nagg)

    def _precondition(self, r):
        z = r * self.Minv
        if self._coarse is not None:
            z += self._coarse.solve(np.bincount(self._agg, weights=r, minlength=self._nagg))[self._agg]
        return z

    def _norms2(self, r):
        if len(self.starts) == 1:
            return np.array([r @ r])
        return np.add.reduceat(r * r, self.starts)

    def solve(self, b, slot):
        A, starts = self.A, self.starts
        rhs = self.V * b
        tol2 = self.rtol**2 * self._norms2(rhs)
        x = self._last.get(slot)  # start from the last solution of this stage
        x = b.copy() if x is None else x.copy()
        zero = tol2 == 0
        if zero.any():
            x[zero[self.block_of]] = 0.0
        r = rhs - A @ x
        it = 0
        rr = self._norms2(r)
        if np.any(rr > tol2):
            z = self._precondition(r)
            p = z.copy()
            rz = r @ z
            for it in range(1, self.maxiter + 1):
                q = A @ p
                alpha = rz / (p @ q)
                x += alpha * p
                r -= alpha * q
                rr = self._norms2(r)
                if np.all(rr <= tol2):
                    break
                z = self._precondition(r)
                rz_new = r @ z
                p *= rz_new / rz
                p += z
                rz = rz_new
            else:
                raise np.linalg.LinAlgError(
                    f"conjugate gradients did not converge in {self.maxiter} iterations "
                    f"(residual {np.sqrt(rr.max()):.3g}, wanted {np.sqrt(tol2.max()):.3g})"
                )
        # mass: a constant per species on a region makes the residual's sum zero
        x += (np.add.reduceat(r, starts) / self.Vblock)[self.block_of]
        self._last[slot] = x
        self.iterations.append(it)
        del self.iterations[:-1000]
        return x


class DiffusionSolver:
    """Solves (I - c D) y = b over the diffusing states (see the module docstring).

    Parameters
    ----------
    K : scipy.sparse.csr_matrix, shape (m, m)
        Symmetric conductances [um3/ms] among the diffusing states.
    V : ndarray (m,) [um3]
    blocks : ndarray of int (m,)
        Species-on-region index of every state (nondecreasing).
    ijk : ndarray of int (m, 3)
        Voxel of every state (for 1D states, values no unit step joins).
    coarse_key : ndarray of int (m,)
        Aggregate label per state before the connectivity split (two-level CG).
    method : {"auto", "adi", "cg"}
    """

    #: "auto" uses "adi" while gamma dt median(K_ii / V_i) stays below this
    adi_max = 12.0

    def __init__(self, K, V, blocks, ijk, coarse_key, method="auto"):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.method = method
        self.K, self.V = K, V
        b = np.asarray(blocks)
        new = np.concatenate([[True], b[1:] != b[:-1]]) if len(b) else np.zeros(0, bool)
        self._starts = np.flatnonzero(new)
        self._block_of = np.cumsum(new) - 1
        self._blocks, self._ijk, self._coarse_key = b, ijk, coarse_key
        self.rate_median = float(np.median(np.abs(K.diagonal()) / V)) if len(V) else 0.0
        self._adi = None
        self._cg = None
        self.used = None  # the method of the last factorization

    @property
    def iterations(self):
        """CG iterations of the last solves."""
        return self._cg.iterations if self._cg is not None else []

    def pick(self, c):
        """The method ("adi" or "cg") that :meth:`factor` uses at ``c`` [ms]."""
        if self.method == "auto":
            return "adi" if c * self.rate_median <= self.adi_max else "cg"
        return self.method

    def factor(self, c, use=None):
        use = use or self.pick(c)
        if use == "adi":
            if self._adi is None:
                self._adi = _Lines(self.K, self.V, self._ijk, self._blocks)
            self._adi.factor(c)
        else:
            if self._cg is None:
                self._cg = _ConjugateGradients(self.K, self.V, self._starts, self._block_of, self._coarse_key)
            self._cg.factor(c)
        self.used = use

    def solve(self, b, slot=0):
        """y with (I - c D) y = b by "cg" (ROS2's stages; "adi" is used in delta form by
        :meth:`solve_vb`); ``slot`` names the right-hand side whose last solution starts
        CG."""
        return self._cg.solve(b, slot)

    def solve_vb(self, vb, first=False):
        """y with (I - c D) y = V^-1 ``vb`` by "adi" (``vb`` is overwritten; y is valid
        until the next solve); with ``first``, ``vb`` in the order of :meth:`first_order`."""
        return self._adi.solve_vb(vb, first)

    def first_order(self):
        """The order of the states that "adi" solves first (an index array; None: the
        states' own order)."""
        if self._adi is None:
            self._adi = _Lines(self.K, self.V, self._ijk, self._blocks)
        return self._adi.into[0]


class ReactionSolver:
    """Solves (I - c R) x = b for the Jacobian R of everything but diffusion: blocks of the
    states at one place (:class:`BlockSolver`), or a diagonal.

    Parameters
    ----------
    rows, cols : ndarray of int
        R's pattern (its diagonal included, no duplicates), in the order of the values
        given to :meth:`factor`.
    n : int
    """

    def __init__(self, rows, cols, n):
        self.rows = np.asarray(rows)
        self._blocks = None if np.all(self.rows == np.asarray(cols)) else BlockSolver(rows, cols, n)
        self._R = None
        r = self.rows
        # a diagonal over one run of states: index by a slice
        self._rix = slice(int(r[0]), int(r[0]) + len(r)) if len(r) and np.array_equal(r, np.arange(r[0], r[0] + len(r))) else r
        # the diagonal covers every state: solve by one division
        self._all = isinstance(self._rix, slice) and self._rix == slice(0, n)

    @property
    def diagonal(self):
        """True when R is diagonal (each state reacts with itself only)."""
        return self._blocks is None

    def factor(self, R, c):
        if not np.any(R):
            self._R = None
        elif self._blocks is None:
            self._R = ("diag", 1.0 - c * R)
        else:
            self._blocks.factor(R, c)
            self._R = ("blocks", self._blocks)

    def solve(self, b):
        if self._R is None:
            return np.array(b, dtype=float)
        kind, R = self._R
        if kind == "diag":
            if self._all:
                return np.divide(b, R)
            x = np.array(b, dtype=float)
            x[self._rix] /= R
            return x
        return R.solve(b)  # a copy
