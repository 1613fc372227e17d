"""Exact solves of CVODE's Newton matrix P = I - gamma J by eliminating local states.

Most states of a neuron model are *local*: a channel's gates at one node depend only on
that node's potential, its ion concentrations and each other. Written as blocks,

    P = [[P_KK, P_KL],      K: kept states (potentials, rxd states)
         [P_LK, P_LL]]      L: local states (mechanism states)

where P_LL is block diagonal with tiny blocks (one per node and mechanism, usually
1 x 1). Eliminating L leaves the Schur complement S = P_KK - P_KL P_LL^-1 P_LK on the
kept states alone, whose pattern is that of P_KK plus the couplings the gates add
between the states of one node (potential and calcium): a tree of potentials beside
the rxd chain, a narrow band when ordered by location. So a factorization costs a
vectorized pass over the local blocks and a band LU of a few thousand unknowns instead
of a sparse LU of the whole system, and a solve is

    z_K = S^-1 (r_K - P_KL P_LL^-1 r_L),    z_L = P_LL^-1 (r_L - P_LK z_K),

which is exact (up to rounding): used as the preconditioner of CVODE's GMRES with the
same Jacobian in the products, GMRES converges in one iteration whenever gamma has not
changed since the factorization.

The symbolic work (which products of entries land where in S) is done once for the
sparsity pattern; :meth:`SchurSolver.factor` then only multiplies and sums arrays.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

__all__ = ["SchurSolver"]

#: largest block of local states eliminated together (states of larger connected groups
#: are kept instead)
MAX_BLOCK = 12
#: widest half band of S for which LAPACK's band LU is used (SuperLU otherwise)
BAND_MAX = 40


class SchurSolver:
    """Factor and solve I - gamma J for a fixed CSC pattern with local states eliminated.

    Parameters
    ----------
    pattern : scipy.sparse.csc_matrix (n, n)
        The pattern of J (sorted indices, no duplicates; the diagonal present). Values
        given to :meth:`factor` are in the order of its ``data``.
    local : ndarray of bool (n,)
        States that may be eliminated (mechanism states). Those in connected groups (of
        J's pattern restricted to local states) larger than ``MAX_BLOCK`` are kept.
    location : ndarray of int (n,)
        Where each state is (a node number): orders the kept system into a band.
    """

    def __init__(self, pattern, local, location):
        P = sp.csc_matrix(pattern)
        P.sort_indices()
        n = P.shape[0]
        self.n = n
        col_of = np.repeat(np.arange(n), np.diff(P.indptr))
        row_of = P.indices
        self._diag_pos = np.flatnonzero(row_of == col_of)
        if len(self._diag_pos) != n:
            raise ValueError("SchurSolver: the pattern must contain the diagonal")
        local = np.asarray(local, dtype=bool).copy()
        # groups of local states coupled to each other
        ll = local[row_of] & local[col_of] & (row_of != col_of)
        G = sp.coo_matrix((np.ones(int(ll.sum())), (row_of[ll], col_of[ll])), shape=(n, n))
        _, label = connected_components(G, directed=False)
        size = np.bincount(label)
        local &= size[label] <= MAX_BLOCK
        self.local = local
        L = np.flatnonzero(local)
        K = np.flatnonzero(~local)
        # kept states ordered by location (a chain of nodes: a band)
        K = K[np.lexsort((K, np.asarray(location)[K]))]
        self.L, self.K = L, K
        # the local states are usually one run (all mechanism states): index by a slice
        contiguous = len(L) and L[-1] - L[0] + 1 == len(L)
        self._Lix = slice(int(L[0]), int(L[-1]) + 1) if contiguous else L
        nL, nK = len(L), len(K)
        posK = np.full(n, -1)
        posK[K] = np.arange(nK)
        # local blocks: grouped by size m, stacked (m, m, nb)
        self._blocks = []
        slot = np.full(n, -1)
        blk = np.full(n, -1)
        lab_L = label[L]
        for m in np.unique(size[lab_L]) if nL else []:
            states = L[size[lab_L] == m]
            states = states[np.lexsort((states, label[states]))]
            idx = states.reshape(-1, m).T  # (m, nb)
            nb = idx.shape[1]
            k = len(self._blocks)
            slot[idx] = np.arange(m)[:, None]
            blk[idx] = np.arange(nb)[None, :]
            ent = np.flatnonzero(local[row_of] & local[col_of] & (size[label[row_of]] == m))
            ent = ent[label[row_of[ent]] == label[col_of[ent]]]
            flat = (slot[row_of[ent]] * m + slot[col_of[ent]]) * nb + blk[row_of[ent]]
            self._blocks.append(dict(m=m, idx=idx, nb=nb, ent=ent, flat=flat, group=k))
        group_of = np.full(n, -1)
        for k, b in enumerate(self._blocks):
            group_of[b["idx"].ravel()] = k
        self._group_of = group_of
        # couplings: P_KL (rows kept, cols local) and P_LK (rows local, cols kept)
        kl = ~local[row_of] & local[col_of]
        lk = local[row_of] & ~local[col_of]
        self._KL = (np.flatnonzero(kl), posK[row_of[kl]], col_of[kl])  # (data pos, K row, local col)
        self._LK = (np.flatnonzero(lk), row_of[lk], posK[col_of[lk]])  # (data pos, local row, K col)
        # S's pattern: P_KK plus, for every local group, (K rows into it) x (K cols out of it)
        kk = ~local[row_of] & ~local[col_of]
        kk_pos = np.flatnonzero(kk)
        s_rows = [posK[row_of[kk]]]
        s_cols = [posK[col_of[kk]]]
        # fill-in terms: S[i, j] -= P[i, a] Binv[a, b] P[b, j] for a, b in one group
        kl_pos, kl_i, kl_a = self._KL
        lk_pos, lk_b, lk_j = self._LK
        gid = label  # component id of each local state
        # entries into each group (by component) and out of it
        into = {}
        for p, i, a in zip(kl_pos, kl_i, kl_a):
            into.setdefault(gid[a], []).append((p, i, a))
        outof = {}
        for p, b, j in zip(lk_pos, lk_b, lk_j):
            outof.setdefault(gid[b], []).append((p, b, j))
        t_p1, t_a, t_b, t_p2, t_i, t_j = [], [], [], [], [], []
        for comp, ins in into.items():
            outs = outof.get(comp)
            if not outs:
                continue
            for p1, i, a in ins:
                for p2, b, j in outs:
                    t_p1.append(p1)
                    t_a.append(a)
                    t_b.append(b)
                    t_p2.append(p2)
                    t_i.append(i)
                    t_j.append(j)
        t_i = np.array(t_i, dtype=np.intp)
        t_j = np.array(t_j, dtype=np.intp)
        s_rows.append(t_i)
        s_cols.append(t_j)
        sr = np.concatenate(s_rows + [np.arange(nK)])
        sc = np.concatenate(s_cols + [np.arange(nK)])
        Spat = sp.csc_matrix((np.ones(len(sr)), (sr, sc)), shape=(nK, nK))
        Spat.sum_duplicates()
        Spat.sort_indices()
        self._S_indptr, self._S_indices = Spat.indptr, Spat.indices
        s_col_of = np.repeat(np.arange(nK), np.diff(Spat.indptr))
        keys = s_col_of.astype(np.int64) * nK + Spat.indices
        where = lambda i, j: np.searchsorted(keys, np.asarray(j, dtype=np.int64) * nK + i)
        self._kk = (kk_pos, where(posK[row_of[kk]], posK[col_of[kk]]))
        self._S_diag = where(np.arange(nK), np.arange(nK))
        # each triple's Binv entry: group, block column, slots a, b
        t_a = np.array(t_a, dtype=np.intp)
        t_b = np.array(t_b, dtype=np.intp)
        self._fill = (
            np.array(t_p1, dtype=np.intp), np.array(t_p2, dtype=np.intp), where(t_i, t_j),
            group_of[t_a] if len(t_a) else t_a, slot[t_a], slot[t_b], blk[t_a],
        )
        self._S_nnz = len(keys)
        # band storage of S, if narrow
        band = int(np.abs(Spat.indices - s_col_of).max()) if len(keys) else 0
        self.band = band
        self.use_band = nK > 0 and band <= BAND_MAX
        if self.use_band:
            kl_ = ku_ = band
            self._ldab = 2 * kl_ + ku_ + 1
            self._band_flat = s_col_of * self._ldab + (kl_ + ku_ + Spat.indices - s_col_of)
            self._ab = np.zeros((self._ldab, nK), order="F")
        # P_KL and P_LK as matrices (values refilled at each factor)
        self._KLm = sp.csr_matrix((np.ones(len(kl_pos)), (kl_i, np.searchsorted(L, kl_a))), shape=(nK, nL))
        self._KL_order = _csr_order(kl_i, np.searchsorted(L, kl_a), nK, nL)
        self._LKm = sp.csr_matrix((np.ones(len(lk_pos)), (np.searchsorted(L, lk_b), lk_j)), shape=(nL, nK))
        self._LK_order = _csr_order(np.searchsorted(L, lk_b), lk_j, nL, nK)
        posL = np.full(n, -1)
        posL[L] = np.arange(nL)
        for b in self._blocks:
            b["idxL"] = posL[b["idx"]]

    def factor(self, J, gamma):
        """Factor I - gamma J, with J the values in the pattern's CSC order."""
        P = -gamma * np.asarray(J, dtype=float)
        P[self._diag_pos] += 1.0
        # local blocks: inverses, stacked; blocks whose off-diagonal entries are all zero
        # (independent gates of one channel) are applied as a diagonal
        self._binv = []
        dinv = np.zeros(len(self.L))
        self._full = []
        for b in self._blocks:
            m, nb = b["m"], b["nb"]
            A = np.zeros(m * m * nb)
            A[b["flat"]] = P[b["ent"]]
            A = A.reshape(m, m, nb)
            diag = np.einsum("aan->an", A)
            if m == 1 or not np.any(A - diag[:, None, :] * np.eye(m)[:, :, None]):
                inv = np.zeros_like(A)
                idx = np.arange(m)
                inv[idx, idx] = 1.0 / diag
                dinv[b["idxL"]] = 1.0 / diag
            else:
                inv = np.linalg.inv(A.transpose(2, 0, 1)).transpose(1, 2, 0)
                self._full.append((b["idxL"], inv))
            self._binv.append(inv)
        self._dinv = dinv
        # S = P_KK - P_KL Binv P_LK
        kk_pos, kk_to = self._kk
        S = np.bincount(kk_to, weights=P[kk_pos], minlength=self._S_nnz)
        p1, p2, to, grp, sa, sb, col = self._fill
        if len(p1):
            binv = np.empty(len(p1))
            for g, Bi in enumerate(self._binv):
                sel = grp == g
                binv[sel] = Bi[sa[sel], sb[sel], col[sel]]
            S -= np.bincount(to, weights=P[p1] * binv * P[p2], minlength=self._S_nnz)
        self._KLm.data[self._KL_order] = P[self._KL[0]]
        self._LKm.data[self._LK_order] = P[self._LK[0]]
        nK = len(self.K)
        if self.use_band:
            flat = self._ab.reshape(-1, order="F")
            flat.fill(0.0)
            flat[self._band_flat] = S
            self._lu, self._piv, info = lapack.dgbtrf(self._ab, self.band, self.band)
            if info != 0:
                raise np.linalg.LinAlgError(f"band LU of the Schur complement failed (info {info})")
        elif nK:
            self._splu = splu(sp.csc_matrix((S, self._S_indices, self._S_indptr), shape=(nK, nK)))

    def _apply_binv(self, x):
        """P_LL^-1 x for x over the local states (in L's order)."""
        out = self._dinv * x
        for idx, inv in self._full:  # idx: (m, nb) positions in L's order
            out[idx] = np.einsum("abn,bn->an", inv, x[idx])
        return out

    def solve(self, r):
        """z with (I - gamma J) z = r, for the last factorization."""
        r = np.asarray(r, dtype=float)
        z = np.empty(self.n)
        rK, rL = r[self.K], r[self._Lix]
        wL = self._apply_binv(rL)
        b = rK - self._KLm @ wL
        if self.use_band:
            zK, info = lapack.dgbtrs(self._lu, self.band, self.band, b, self._piv)
        elif len(b):
            zK = self._splu.solve(b)
        else:
            zK = b
        zL = self._apply_binv(rL - self._LKm @ zK)
        z[self.K] = zK
        z[self._Lix] = zL
        return z


def _csr_order(rows, cols, nr, nc):
    """Where each (row, col) entry sits in the data of the CSR matrix built from them."""
    if not len(rows):
        return np.zeros(0, dtype=np.intp)
    key = np.asarray(rows, dtype=np.int64) * nc + np.asarray(cols)
    order = np.empty(len(key), dtype=np.intp)
    order[np.argsort(key, kind="stable")] = np.arange(len(key))
    return order
