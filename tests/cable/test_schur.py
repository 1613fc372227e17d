"""The 'schur' linear solver of CVODE (cable/_schur.py): exact solves of I - gamma J with
the mechanism states eliminated, checked against dense linear algebra and, inside CVODE,
against NEURON 9.0.2's spike times of the electrical ModelDB 168874 model."""

import importlib.util
import pathlib

import numpy as np
import pytest
import scipy.sparse as sp

import rxd
from cable import Simulation
from cable._schur import SchurSolver

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _chain_with_gates(n_nodes, sizes, seed=0):
    """A random Jacobian shaped like a cable: per node one kept state (a potential, chained
    to its neighbours) and one rxd-like state, plus local groups of the given sizes (gates
    coupled to the node's potential and, the first, to its rxd state)."""
    rng = np.random.default_rng(seed)
    rows, cols, loc, local = [], [], [], []
    idx = 0
    kept_v, kept_c = [], []
    for i in range(n_nodes):
        kept_v.append(idx)
        kept_c.append(idx + 1)
        loc += [i, i]
        local += [False, False]
        idx += 2
    for i in range(n_nodes):
        v, c = kept_v[i], kept_c[i]
        rows += [v, c, v, c]
        cols += [v, c, c, v]
        if i:
            rows += [v, kept_v[i - 1], c, kept_c[i - 1]]
            cols += [kept_v[i - 1], v, kept_c[i - 1], c]
        for g, m in enumerate(sizes):
            group = list(range(idx, idx + m))
            idx += m
            loc += [i] * m
            local += [True] * m
            for a in group:
                rows += [a, v] + [a] * m
                cols += [v, a] + group
                if g == 0:
                    rows += [a, c]
                    cols += [c, a]
    n = idx
    pat = sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    pat.sum_duplicates()
    pat.sort_indices()
    pat.data[:] = 1.0
    J = rng.normal(size=pat.nnz)
    diag = np.repeat(np.arange(n), np.diff(pat.indptr)) == pat.indices
    J[diag] = -5.0 - 5.0 * rng.random(int(diag.sum()))  # decaying states
    return pat, J, np.array(local), np.array(loc)


@pytest.mark.parametrize("sizes", [(1, 1, 1), (3, 2, 1), (2,)])
def test_schur_solve_is_exact(sizes):
    pat, J, local, loc = _chain_with_gates(200, sizes)
    solver = SchurSolver(pat, local, loc)
    assert solver.use_band and len(solver.L) == local.sum()
    gamma = 0.05
    A = np.eye(pat.shape[0]) - gamma * sp.csc_matrix((J, pat.indices, pat.indptr), shape=pat.shape).toarray()
    b = np.random.default_rng(1).normal(size=pat.shape[0])
    solver.factor(J, gamma)
    z = solver.solve(b)
    # exact elimination: rounding only (condition number of A about 10 here)
    assert np.max(np.abs(z - np.linalg.solve(A, b))) < 1e-12 * np.max(np.abs(b))


def test_schur_keeps_large_local_groups():
    # a local group larger than MAX_BLOCK is kept (solved in the band), still exact
    pat, J, local, loc = _chain_with_gates(20, (14,))
    solver = SchurSolver(pat, local, loc)
    assert len(solver.L) == 0
    solver.factor(J, 0.1)
    A = np.eye(pat.shape[0]) - 0.1 * sp.csc_matrix((J, pat.indices, pat.indptr), shape=pat.shape).toarray()
    b = np.ones(pat.shape[0])
    assert np.max(np.abs(solver.solve(b) - np.linalg.solve(A, b))) < 1e-12


def _example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_ampa150_first_spikes_with_schur_match_neuron():
    ampa = _example("cawave_ampa")
    r = ampa.run("AMPA150", tstop=3060.0, fast=True, linsolver="schur")
    # NEURON 9.0.2 on the same files: 3000.1196, 3025.1578, 3050.1494 ms; the bound
    # is 0.1 ms (measured with 'schur': 2e-4, 1e-3, 8e-4 ms)
    np.testing.assert_allclose(r["spikes"], [3000.1196, 3025.1578, 3050.1494], atol=0.1)


def _long_hh_cable(linsolver):
    """v at the far end of a 1000 um hh cable after a pulse at the near end (CVODE, atol
    1e-6), and the simulation."""
    sim = Simulation(celsius=6.3)
    dend = sim.Section("dend", L=1000.0, diam=1.0, nseg=200)
    dend.insert("hh")
    sim.IClamp(dend(0.02), delay=1.0, dur=2.0, amp=0.5)
    v = sim.record(dend(1.0), "v", 0.025)
    sim.cvode.active(1)
    sim.cvode.atol(1e-6)
    sim.cvode.linsolver(linsolver)
    sim.finitialize(-65.0)
    sim.continuerun(20.0)
    return v.as_numpy(), sim


def test_schur_and_sparse_agree_on_a_long_hh_cable():
    a, sim = _long_hh_cable("schur")
    b, _ = _long_hh_cable("sparse")
    assert sim._integrator.linsolver.startswith("schur")
    assert b.max() > 0  # the spike travelled to the far end
    # two solvers of the same Newton systems, both to atol 1e-6 mV per step: the traces
    # differ by the integration error (measured 1.3e-4 mV; 'sparse' and 'auto' differ by
    # 1.8e-8), a wrong solve by millivolts
    assert np.max(np.abs(a - b)) < 0.01


def test_schur_conserves_mass_with_channels():
    sim = Simulation()
    dend = sim.Section("dend", L=200.0, diam=1.0, nseg=101)
    dend.insert("hh")
    r = rxd.Region([dend], nrn_region="i")
    c = rxd.Species(r, d=1.0, name="c", initial=lambda node: 1.0 if 0.4 < node.x < 0.6 else 0.0)
    sim.cvode.active(1)
    sim.cvode.atol(1e-8)
    sim.cvode.linsolver("schur")
    sim.finitialize(-65)
    vol = c.nodes.volume
    m0 = c.nodes.concentration @ vol
    sim.continuerun(100.0)
    # GMRES preconditioned by the exact inverse of the last factorization: a Newton
    # correction of this linear, closed system is a combination of preconditioned
    # residuals whose sums over volume vanish, so mass is kept to rounding (measured
    # 4.4e-16; 'auto', with CVODE's difference-quotient band Jacobian, drifts ~1e-9)
    assert abs(c.nodes.concentration @ vol - m0) < 1e-12 * m0


def test_arnoldi_products_answered_by_identity(monkeypatch):
    """_psolve returns v for CVODE's (I - gamma J) v when gamma is the factorization's
    (cable/_cvode.py): the run must be the one with every product solved."""
    from cable import _cvode

    a, sim_a = _long_hh_cable("schur")
    monkeypatch.setattr(_cvode, "_PRODUCT_ROUNDING", -1.0)  # never recognized: always solve
    b, sim_b = _long_hh_cable("schur")
    steps = sim_a.cvode.statistics()["steps"]
    assert sim_b._integrator.nshortcut == 0
    assert sim_a._integrator.nshortcut > steps / 2  # about one per Newton iteration
    assert b.max() > 0
    # the same Newton corrections up to rounding: the traces may part only by rounding
    # amplified through the step-size choices (measured 9.4e-10 mV), far below the
    # integration error at atol 1e-6 (1.3e-4 mV between 'schur' and 'sparse')
    assert np.max(np.abs(a - b)) < 1e-6
