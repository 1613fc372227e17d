"""Factor and solve ``I - c J`` for a fixed sparsity pattern, many times.

The states are reordered once by reverse Cuthill-McKee; when the matrix then fits in a
narrow band (a chain of nodes with a few species each), LAPACK's band LU (gbtrf/gbtrs)
is used and each refill only writes the pattern's entries into the band storage.
Otherwise SuperLU factors the sparse matrix.

``BlockSolver`` solves ``I - c R`` for a matrix made of many small independent blocks
(reactions at each voxel of a 3D region), vectorized over blocks.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack
from scipy.sparse.csgraph import connected_components, reverse_cuthill_mckee
from scipy.sparse.linalg import splu

__all__ = ["BlockSolver", "ShiftedSolver"]

_BAND_MAX = 32


class ShiftedSolver:
    """Solves (I - c J) x = b where J has a fixed CSR pattern.

    Parameters
    ----------
    pattern : scipy.sparse.csr_matrix
        The pattern of J (sorted indices, no duplicates); its diagonal must be present.
    location : ndarray of int, shape (n,), optional
        Where each state is (a node number); an order interleaving states by location is
        tried besides reverse Cuthill-McKee, and the narrower band wins.
    rcm : bool
        Try reverse Cuthill-McKee (default True; with False and a location, only the
        interleaved order).
    """

    def __init__(self, pattern, location=None, rcm=True):
        n = pattern.shape[0]
        self.n = n
        self.pattern = pattern
        rows = np.repeat(np.arange(n), np.diff(pattern.indptr))
        cols = pattern.indices
        self._diag = np.flatnonzero(rows == cols)
        candidates = []
        if n and (rcm or location is None):
            sym = (pattern + pattern.T).tocsr()
            candidates.append(np.asarray(reverse_cuthill_mckee(sym, symmetric_mode=True), dtype=np.intp))
        if location is not None and n:
            # states interleaved by where they are (a chain gives a band as wide as the
            # number of states per location)
            candidates.append(np.lexsort((np.arange(n), np.asarray(location))))
        best = None
        for perm in candidates:
            inv = np.argsort(perm)
            band = int(np.abs(inv[rows] - inv[cols]).max()) if len(rows) else 0
            if best is None or band < best[2]:
                best = (perm, inv, band)
        perm, inv, band = best if best is not None else (np.zeros(0, int), np.zeros(0, int), 0)
        self.band = band
        self.use_band = n > 0 and band <= _BAND_MAX
        if self.use_band:
            self.perm, self.inv = perm, inv
            kl = ku = band
            self._ldab = 2 * kl + ku + 1
            pi, pj = inv[rows], inv[cols]
            # LAPACK band storage (Fortran order): A[i, j] at ab[kl + ku + i - j, j]
            self._flat = pj * self._ldab + (kl + ku + pi - pj)
            self._ab = np.zeros((self._ldab, n), order="F")
            self._abflat = self._ab.reshape(-1, order="F")  # a view
            self._diag_flat = self._flat[self._diag]

    def factor(self, J, c):
        """Factor I - c J, with J the values in the pattern's CSR order."""
        if self.use_band:
            ab = self._ab
            flat = self._abflat
            flat.fill(0.0)
            flat[self._flat] = -c * J
            flat[self._diag_flat] += 1.0
            band = self.band
            self._lu, self._piv, info = lapack.dgbtrf(ab, band, band, overwrite_ab=1)
            if info != 0:
                raise np.linalg.LinAlgError(f"band LU failed (info={info})")
        else:
            A = sp.csr_matrix((-c * J, self.pattern.indices, self.pattern.indptr), shape=self.pattern.shape)
            A.data[self._diag] += 1.0
            self._splu = splu(A.tocsc())

    def solve(self, b):
        """x with (I - c J) x = b, for the last factorization."""
        if self.use_band:
            x, info = lapack.dgbtrs(self._lu, self.band, self.band, b[self.perm], self._piv)
            return x[self.inv]
        return self._splu.solve(b)



class BlockSolver:
    """Solves (I - c R) x = b for R whose entries form many small independent blocks (the
    connected components of its pattern: the states that react with each other at one
    voxel). Blocks of equal size m are stacked and factored together by an LU without
    pivoting, vectorized over blocks (arrays (m, m, blocks)); a block whose pivot is tiny
    against its entries is inverted on its own with partial pivoting (numpy). Blocks
    larger than ``max_block`` go to :class:`ShiftedSolver` together.

    Parameters
    ----------
    rows, cols : ndarray of int
        R's pattern (its diagonal included; no duplicates), in the order of the values
        given to :meth:`factor`.
    n : int
    """

    max_block = 10

    def __init__(self, rows, cols, n):
        rows, cols = np.asarray(rows), np.asarray(cols)
        off = rows != cols
        G = sp.coo_matrix((np.ones(int(off.sum())), (rows[off], cols[off])), shape=(n, n))
        _, label = connected_components(G, directed=False)
        m_of = np.bincount(label)[label]
        self.classes = []
        self._single_entries = np.flatnonzero((rows == cols) & (m_of[rows] == 1))
        self._single_rows = rows[self._single_entries]
        big = m_of > self.max_block
        for m in np.unique(m_of[(m_of > 1) & ~big]):
            states = np.flatnonzero(m_of == m)
            states = states[np.lexsort((states, label[states]))]  # grouped by block, in order
            idx = states.reshape(-1, m).T  # (m, nb)
            nb = idx.shape[1]
            slot = np.empty(n, dtype=np.intp)
            block = np.empty(n, dtype=np.intp)
            slot[idx] = np.arange(m)[:, None]
            block[idx] = np.arange(nb)[None, :]
            ent = np.flatnonzero(m_of[rows] == m)
            flat = (slot[rows[ent]] * m + slot[cols[ent]]) * nb + block[rows[ent]]
            # each slot's states are often a contiguous range (species after species)
            ranges = bool(np.all(np.diff(idx, axis=1) == 1)) if nb > 1 else False
            rows_of = [slice(int(r[0]), int(r[-1]) + 1) for r in idx] if ranges else list(idx)
            self.classes.append((m, idx, ent, flat, rows_of))
        self._big = None
        if big.any():
            ent = np.flatnonzero(big[rows])
            sub = np.flatnonzero(big)
            where = np.full(n, -1)
            where[sub] = np.arange(len(sub))
            P = sp.csr_matrix((np.ones(len(ent)), (where[rows[ent]], where[cols[ent]])), shape=(len(sub),) * 2)
            P.sum_duplicates()
            P.sort_indices()
            prow = np.repeat(np.arange(len(sub)), np.diff(P.indptr))
            order = np.searchsorted(prow.astype(np.int64) * len(sub) + P.indices,
                                    where[rows[ent]].astype(np.int64) * len(sub) + where[cols[ent]])
            self._big = (sub, ent, order, ShiftedSolver(P))

    def factor(self, R, c):
        """Factor I - c R with R the values at (rows, cols)."""
        self._single_diag = 1.0 - c * R[self._single_entries]
        self._lu = []
        for m, idx, ent, flat, _ in self.classes:
            nb = idx.shape[1]
            A = np.zeros(m * m * nb)
            A[flat] = -c * R[ent]
            A = A.reshape(m, m, nb)
            for a in range(m):
                A[a, a] += 1.0
            scale = np.abs(A).max(axis=(0, 1))
            bad = np.zeros(nb, dtype=bool)
            for k in range(m):
                piv = A[k, k]
                tiny = np.abs(piv) <= 1e-10 * scale
                if tiny.any():
                    bad |= tiny
                    piv[tiny] = 1.0  # those blocks are redone below with pivoting
                for i in range(k + 1, m):
                    A[i, k] /= piv
                    for j in range(k + 1, m):
                        A[i, j] -= A[i, k] * A[k, j]
            inv = None
            if bad.any():
                B = np.zeros(m * m * nb)
                B[flat] = -c * R[ent]
                B = B.reshape(m, m, nb)[:, :, bad].transpose(2, 0, 1) + np.eye(m)
                inv = (np.flatnonzero(bad), np.linalg.inv(B))
            self._lu.append((A, 1.0 / np.diagonal(A).T, inv))
        if self._big is not None:
            _, ent, order, solver = self._big
            vals = np.zeros(solver.pattern.nnz)
            np.add.at(vals, order, R[ent])
            solver.factor(vals, c)

    def solve(self, b):
        """x with (I - c R) x = b."""
        x = np.array(b, dtype=float)
        x[self._single_rows] /= self._single_diag
        for (m, idx, ent, flat, rows_of), (A, inv_diag, inv) in zip(self.classes, self._lu):
            if inv is not None:
                which, Binv = inv
                fixed = np.einsum("bij,jb->ib", Binv, x[idx[:, which]])
            y = [x[r] for r in rows_of]  # views into x for ranges
            for i in range(1, m):
                for k in range(i):
                    y[i] -= A[i, k] * y[k]
            for i in range(m - 1, -1, -1):
                for j in range(i + 1, m):
                    y[i] -= A[i, j] * y[j]
                y[i] *= inv_diag[i]
            if not isinstance(rows_of[0], slice):
                x[idx] = np.array(y)
            if inv is not None:
                x[idx[:, which]] = fixed
        if self._big is not None:
            sub, _, _, solver = self._big
            x[sub] = solver.solve(x[sub])
        return x
