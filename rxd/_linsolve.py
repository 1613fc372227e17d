"""Factor and solve ``I - c J`` for a fixed sparsity pattern, many times.

The states are reordered once by reverse Cuthill-McKee; when the matrix then fits in a
narrow band (a chain of nodes with a few species each), LAPACK's band LU (gbtrf/gbtrs)
is used and each refill only writes the pattern's entries into the band storage.
Otherwise SuperLU factors the sparse matrix.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack
from scipy.sparse.csgraph import reverse_cuthill_mckee
from scipy.sparse.linalg import splu

__all__ = ["ShiftedSolver"]

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
    """

    def __init__(self, pattern, location=None):
        n = pattern.shape[0]
        self.n = n
        self.pattern = pattern
        rows = np.repeat(np.arange(n), np.diff(pattern.indptr))
        cols = pattern.indices
        self._diag = np.flatnonzero(rows == cols)
        candidates = []
        if n:
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
