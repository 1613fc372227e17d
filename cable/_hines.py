"""Linear solves with the tree matrix of the cable equation.

The matrix has a free diagonal and, between each node k and its parent p, the fixed
off-diagonal entry ``-g_axial[k]`` (symmetric). In the depth-first node order every
parent precedes its children, so Gaussian elimination from the leaves to the roots
(Hines 1984) creates no fill-in and costs O(N):

- an unbranched chain is tridiagonal and goes to LAPACK's ``gtsv``;
- a branched tree goes to SuperLU with the natural (Hines) order, which then performs
  exactly the leaves-to-root elimination, in compiled code; a small one (up to
  ``DENSE_MAX`` nodes) to LAPACK's dense ``gesv`` (7 nodes: 4 us against SuperLU's 37 us
  with its set-up).
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack
from scipy.sparse.linalg import splu

__all__ = ["TreeSolver", "laplacian"]

#: Branched trees up to this many nodes are solved as dense matrices.
DENSE_MAX = 32


def laplacian(parent, g_axial):
    """The axial conductance matrix G [uS] as CSR: (G v)_k is the axial current [nA]
    leaving node k, sum over neighbours j of g_kj (v_k - v_j).

    Parameters
    ----------
    parent : ndarray of int, shape (N,)
    g_axial : ndarray, shape (N,) [uS]
    """
    n = len(parent)
    k = np.flatnonzero(parent >= 0)
    p = parent[k]
    g = g_axial[k]
    rows = np.concatenate([k, p, k, p])
    cols = np.concatenate([p, k, k, p])
    vals = np.concatenate([-g, -g, g, g])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


class TreeSolver:
    """Solve ``(diag(d) + offdiag) x = b`` for the tree matrix.

    Parameters
    ----------
    parent : ndarray of int, shape (N,)
    g_axial : ndarray, shape (N,) [uS]
    diag_axial : ndarray, shape (N,)
        The axial part of the diagonal (sum of a node's axial conductances); ``solve``
        adds it to the diagonal it is given.
    """

    def __init__(self, parent, g_axial):
        self.n = n = len(parent)
        k = np.arange(n)
        self.chain = bool(np.all((parent[1:] == k[1:] - 1) | (parent[1:] < 0)))
        if self.chain:
            off = np.where(parent[1:] >= 0, -g_axial[1:], 0.0)
            self._off = off
        else:
            kk = np.flatnonzero(parent >= 0)
            rows = np.concatenate([kk, parent[kk], k])
            cols = np.concatenate([parent[kk], kk, k])
            vals = np.concatenate([-g_axial[kk], -g_axial[kk], np.ones(n)])
            m = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
            m.sort_indices()
            self._csc = m
            self._dense = m.toarray() if n <= DENSE_MAX else None
            # positions of the diagonal entries in the CSC data array
            self._diag_pos = np.array(
                [m.indptr[j] + np.flatnonzero(m.indices[m.indptr[j] : m.indptr[j + 1]] == j)[0] for j in range(n)]
            )

    def solve(self, d, b):
        """Return x with (diag(d) + offdiag) x = b. ``d`` includes the axial diagonal."""
        if self.chain:
            if self.n <= 1:
                return b / d
            # The matrix is symmetric and, with non-negative membrane slopes, positive
            # definite: LAPACK's ptsv (L D L^T, no pivoting) is the Hines elimination of a
            # chain. Fall back to gtsv (partial pivoting) if a negative slope breaks that.
            _, _, x, info = lapack.dptsv(d, self._off, b)
            if info != 0:
                _, _, _, x, info = lapack.dgtsv(self._off, d, self._off, b)
                if info != 0:
                    raise np.linalg.LinAlgError(f"tridiagonal solve failed (info={info})")
            return x
        if self._dense is not None:
            a = self._dense.copy()
            a.flat[:: self.n + 1] = d
            _, _, x, info = lapack.dgesv(a, b, overwrite_a=True)
            if info != 0:
                raise np.linalg.LinAlgError(f"tree solve failed (info={info})")
            return x
        self._csc.data[self._diag_pos] = d
        lu = splu(self._csc, permc_spec="NATURAL", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
        return lu.solve(b)
