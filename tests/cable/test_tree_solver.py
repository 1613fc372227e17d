"""The tree solver against a dense solve of the same matrix, on both of its paths for
branched trees (dense LAPACK up to DENSE_MAX nodes, SuperLU beyond) and on a chain."""

import numpy as np
import pytest

from cable._hines import DENSE_MAX, TreeSolver, laplacian


def _random_tree(n, rng, chain=False):
    parent = np.arange(-1, n - 1) if chain else np.array([-1] + [int(rng.integers(0, k)) for k in range(1, n)])
    return parent, rng.uniform(0.1, 2.0, n)


@pytest.mark.parametrize("n, chain", [(7, False), (DENSE_MAX, False), (DENSE_MAX + 1, False), (200, False), (50, True)])
def test_tree_solve_matches_a_dense_solve(n, chain):
    rng = np.random.default_rng(n)
    parent, g = _random_tree(n, rng, chain)
    G = laplacian(parent, g).toarray()
    d = np.diag(G) + rng.uniform(0.01, 1.0, n)  # membrane part > 0: the cable's matrices
    b = rng.normal(size=n)
    solver = TreeSolver(parent, g)
    assert solver.chain == chain
    x = solver.solve(d, b.copy())
    A = G.copy()
    A[np.diag_indices(n)] = d
    # both sides are LAPACK/SuperLU eliminations of a well-conditioned matrix: rounding only
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-10, atol=1e-12)
    # the solver keeps no state between solves: a second diagonal gives its own answer
    d2 = d + 0.5
    A[np.diag_indices(n)] = d2
    np.testing.assert_allclose(solver.solve(d2, b.copy()), np.linalg.solve(A, b), rtol=1e-10, atol=1e-12)
