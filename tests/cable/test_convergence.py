"""Temporal order of the fixed step: backward Euler O(dt), Crank-Nicolson O(dt^2), and the
final values of the same runs against NEURON 9.0.2 (``passive_order.npz``).

Model (as in tests/reference/make_cable_refs.py): one passive section L = 1000 um, diam 2,
nseg 51, Ra 100, cm 1, pas g 1e-4 e -65; IClamp at sec(0.1) delay 0 dur 1e9 amp 0.2 nA;
v_init -65; v at sec(0.1) and sec(0.9) at t = 20 ms.
"""

import functools

import numpy as np
import pytest

from cable import Simulation

TSTOP = 20.0
DT_REF = 0.025 / 16  # our own reference solution
LOCATIONS = {"v01": 0.1, "v09": 0.9}
METHODS = {"be": 0, "cn": 2}
# Same algorithm as NEURON (staggered fixed step, same matrix, same solve order): the
# final values differ by round-off only (measured <= 6e-13 mV).
V_TOL_NEURON = 1e-9  # mV


@functools.lru_cache(maxsize=None)
def final_v(dt, secondorder):
    """(t, {key: v}) at the end of the run to t = 20 ms."""
    sim = Simulation(dt=dt, secondorder=secondorder)
    sec = sim.Section("cable", L=1000.0, diam=2.0, nseg=51, Ra=100.0, cm=1.0)
    sec.insert("pas")
    for seg in sec:
        seg.pas.g = 1e-4
        seg.pas.e = -65.0
    sim.IClamp(sec(0.1), delay=0.0, dur=1e9, amp=0.2)
    sim.finitialize(-65.0)
    sim.continuerun(TSTOP)
    return sim.t, {key: sec(x).v for key, x in LOCATIONS.items()}


def test_reference_describes_this_model(reference):
    meta = reference("passive_order")["meta"]
    p = meta["params"]
    assert meta["neuron_version"] == "9.0.2"
    assert {k: p["sec"][k] for k in ("L", "diam", "nseg", "Ra", "cm", "g_pas", "e_pas")} == dict(
        L=1000.0, diam=2.0, nseg=51, Ra=100.0, cm=1.0, g_pas=1e-4, e_pas=-65.0
    )
    assert p["iclamp"] == dict(loc="sec(0.1)", delay=0.0, dur=1e9, amp=0.2)
    assert (p["v_init"], p["tstop"], p["celsius"]) == (-65.0, TSTOP, 6.3)


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("dt", [0.2, 0.1, 0.05, 0.025, 0.0125])
def test_final_values_equal_neuron(reference, method, dt):
    ref = reference("passive_order")
    (i,) = np.flatnonzero(ref["dts"] == dt)
    t, v = final_v(dt, METHODS[method])
    # NEURON's continuerun stops at t = 20 for every dt (0.2 included); so do we. The
    # steps accumulate t += dt, hence round-off only.
    assert t == pytest.approx(TSTOP, abs=1e-9)
    for key in LOCATIONS:
        assert v[key] == pytest.approx(float(ref[f"{key}_{method}"][i]), abs=V_TOL_NEURON), key


@pytest.mark.parametrize(
    "method, order, key, dts",
    [
        ("be", 1, "v01", [0.2, 0.1, 0.05, 0.025]),
        ("be", 1, "v09", [0.2, 0.1, 0.05, 0.025]),
        ("cn", 2, "v09", [0.2, 0.1, 0.05, 0.025]),
        # At the electrode, CN at dt = 0.2 is not yet asymptotic: the current step at
        # t = 0 excites stiff local modes that CN damps only by |1 - z/2| / |1 + z/2| per
        # step (not L-stable), which adds to the dt = 0.2 error (local slope 4.5 between
        # 0.2 and 0.1, 2.00 below). The fit there uses the next four step sizes.
        ("cn", 2, "v01", [0.1, 0.05, 0.025, 0.0125]),
    ],
)
def test_convergence_order(method, order, key, dts):
    so = METHODS[method]
    v_ref = final_v(DT_REF, so)[1][key]
    err = np.array([abs(final_v(dt, so)[1][key] - v_ref) for dt in dts])
    # the errors must be well above round-off and the reference's own error
    # (at dt/16, estimated from a run at dt/32: BE ~7e-4 mV, CN ~3e-8 mV)
    assert err.min() > (1e-3 if method == "be" else 1e-6)
    slope = np.polyfit(np.log(dts), np.log(err), 1)[0]
    # 0.15: the criterion; measured slopes 1.03 (BE; the reference's own O(dt/16)
    # error steepens it slightly) and 2.00-2.01 (CN)
    assert slope == pytest.approx(order, abs=0.15)


def test_crank_nicolson_is_more_accurate():
    # at every dt CN is closer to the converged answer than BE, by > 10x at dt <= 0.1
    v_be = final_v(DT_REF, 0)[1]["v09"]
    v_cn = final_v(DT_REF, 2)[1]["v09"]
    # the two references agree to the BE reference's own error (~7e-4 mV, see above)
    assert v_be == pytest.approx(v_cn, abs=2e-3)
    for dt in (0.1, 0.05, 0.025):
        assert 10 * abs(final_v(dt, 2)[1]["v09"] - v_cn) < abs(final_v(dt, 0)[1]["v09"] - v_cn)
