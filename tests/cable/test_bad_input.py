"""Bad input raises cable.CableError naming the offending value, and leaves the
previously built state intact."""

import math
import re

import numpy as np
import pytest

from cable import CableError, Simulation, Vector


@pytest.fixture
def sim():
    return Simulation()


@pytest.fixture
def sec(sim):
    return sim.Section("a", L=10.0, diam=2.0)


def test_cable_error_is_a_value_error():
    assert issubclass(CableError, ValueError)


# ------------------------------------------------------------------- geometry
@pytest.mark.parametrize("value", [0, -1, -0.5, math.nan, math.inf])
@pytest.mark.parametrize("attr", ["L", "diam"])
def test_nonpositive_length_and_diameter_rejected_by_setter(sec, attr, value):
    before = getattr(sec, attr)
    with pytest.raises(CableError, match=rf"a\.{attr} must be positive.*got {value!r}"):
        setattr(sec, attr, value)
    assert getattr(sec, attr) == before


@pytest.mark.parametrize("value", [0.0, -1.0])
@pytest.mark.parametrize("attr", ["L", "diam"])
def test_nonpositive_length_and_diameter_rejected_by_constructor(sim, attr, value):
    with pytest.raises(CableError, match=rf"b\.{attr} must be positive.*got {value!r}"):
        sim.Section("b", **{attr: value})
    assert sim.sections == []  # nothing half-built is left behind


def test_nonpositive_segment_diameter_rejected(sec):
    with pytest.raises(CableError, match=r"a\(0\.5\)\.diam must be positive.*got -1\.0"):
        sec(0.5).diam = -1


@pytest.mark.parametrize("value, shown", [(0, "0"), (-1, "-1"), (1.5, "1.5"), ("3", "'3'"), (True, "True")])
def test_bad_nseg_rejected(sec, value, shown):
    with pytest.raises(CableError, match=rf"a\.nseg must be an integer >= 1, got {shown}$"):
        sec.nseg = value
    assert sec.nseg == 1


def test_bad_nseg_rejected_by_constructor(sim):
    with pytest.raises(CableError, match=r"b\.nseg must be an integer >= 1, got 0"):
        sim.Section("b", nseg=0)


def test_integral_float_nseg_accepted(sec):
    # NEURON accepts nseg = 3.0; only non-integral values are errors
    sec.nseg = 3.0
    assert sec.nseg == 3 and isinstance(sec.nseg, int)


# --------------------------------------------------------------- mechanisms
def test_unknown_mechanism_rejected(sec):
    with pytest.raises(CableError, match=r"unknown mechanism 'kdr'"):
        sec.insert("kdr")
    assert sec.mechanisms == {}


def test_point_process_cannot_be_inserted(sec):
    with pytest.raises(CableError, match=r"'IClamp' is a point process"):
        sec.insert("IClamp")


# ----------------------------------------------------------------- topology
@pytest.mark.parametrize("how", ["section", "segment", "explicit"])
def test_connect_to_itself_rejected(sec, how):
    args = {"section": (sec,), "segment": (sec(1),), "explicit": (sec, 1, 0)}[how]
    with pytest.raises(CableError, match=r"cannot connect a to itself"):
        sec.connect(*args)
    assert sec.parent is None


def test_loop_rejected(sim, sec):
    b = sim.Section("b")
    b.connect(sec(1))
    with pytest.raises(CableError, match=r"cannot connect a to b, which would make a loop"):
        sec.connect(b(1))
    assert sec.parent is None and b.parent == (sec, 1.0)


def test_longer_loop_rejected(sim, sec):
    b, c = sim.Section("b"), sim.Section("c")
    b.connect(sec(1))
    c.connect(b(0.5))
    with pytest.raises(CableError, match=r"cannot connect a to c, which would make a loop"):
        sec.connect(c, 1, 0)
    assert sec.parent is None


def test_connect_location_outside_section_rejected(sim, sec):
    b = sim.Section("b")
    with pytest.raises(CableError, match=r"parent location must lie in \[0, 1\], got 1\.5"):
        b.connect(sec, 1.5)


# ------------------------------------------------------------------- running
@pytest.mark.parametrize("value", [0, -0.1, math.nan])
def test_nonpositive_dt_rejected(sim, value):
    with pytest.raises(CableError, match=rf"dt must be positive and finite \[ms\], got {value!r}"):
        sim.dt = value
    assert sim.dt == 0.025


def test_nonpositive_dt_rejected_by_constructor():
    with pytest.raises(CableError, match=r"dt must be positive.*got -0\.1"):
        Simulation(dt=-0.1)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nonfinite_v_init_rejected(sim, sec, value):
    with pytest.raises(CableError, match=rf"v_init must be finite \[mV\], got {value!r}"):
        sim.finitialize(value)


@pytest.mark.parametrize("value", [3, -1])
def test_bad_secondorder_rejected(sim, value):
    with pytest.raises(CableError, match=rf"secondorder must be 0 .* or 2 .*got {value}"):
        sim.secondorder = value


def test_advancing_before_finitialize_rejected(sim, sec):
    with pytest.raises(CableError, match=r"call finitialize"):
        sim.continuerun(1.0)


# --------------------------------------------------------------- recording
@pytest.mark.parametrize("what", ["segment", "number", "string"])
def test_record_needs_a_reference(sec, what):
    obj = {"segment": sec(0.5), "number": 1.0, "string": "v"}[what]
    with pytest.raises(CableError, match=r"Vector\.record needs a reference .*got " + re.escape(repr(obj))):
        Vector().record(obj)


def test_record_interval_must_be_positive(sec):
    with pytest.raises(CableError, match=r"Dt must be positive, got 0"):
        Vector().record(sec(0.5)._ref_v, 0)


def test_record_of_unknown_variable_rejected(sim, sec):
    Vector().record(sec(0.5)._ref_m_hh)  # hh is not inserted
    with pytest.raises(CableError, match=r"cannot record 'm_hh' at a\(0\.5\)"):
        sim.finitialize(-65)


# ------------------------------------------------------------------- cvode
@pytest.mark.parametrize("value", [0, -1e-5, math.nan])
def test_nonpositive_atol_rejected(sim, value):
    with pytest.raises(CableError, match=rf"cvode\.atol must be positive, got {value!r}"):
        sim.cvode.atol(value)
    assert sim.cvode.atol() == 1e-3


def test_negative_rtol_rejected(sim):
    with pytest.raises(CableError, match=r"cvode\.rtol must be >= 0, got -1"):
        sim.cvode.rtol(-1)


def test_nan_rtol_rejected(sim):
    with pytest.raises(CableError, match=r"cvode\.rtol .*got nan"):
        sim.cvode.rtol(math.nan)


# ----------------------------------------------------- state survives errors
def _small_model(sim):
    soma = sim.Section("soma", L=10.0, diam=10.0)
    soma.insert("hh")
    sim.IClamp(soma(0.5), delay=2.0, dur=100.0, amp=0.1)
    v = sim.record(soma(0.5), "v")
    t = sim.record_t()
    return soma, v, t


def _bad_operations(sim, soma):
    other = sim.Section("other", L=5.0, diam=1.0)
    other.connect(soma(1))
    return {
        "L": lambda: setattr(soma, "L", -1),
        "diam": lambda: setattr(soma, "diam", 0),
        "nseg": lambda: setattr(soma, "nseg", 0),
        "insert": lambda: soma.insert("nope"),
        "self-connect": lambda: soma.connect(soma),
        "loop": lambda: soma.connect(other(1)),
        "dt": lambda: setattr(sim, "dt", 0),
        "v_init": lambda: sim.finitialize(math.nan),
        "record": lambda: Vector().record(soma(0.5)),
        "atol": lambda: sim.cvode.atol(0),
    }


@pytest.mark.parametrize(
    "bad", ["L", "diam", "nseg", "insert", "self-connect", "loop", "dt", "v_init", "record", "atol"]
)
def test_error_after_a_run_keeps_the_state(bad):
    # the same model twice: one sees a rejected change at t = 10 ms, the other not
    ref_sim, sim = Simulation(), Simulation()
    ref_soma, ref_v, ref_t = _small_model(ref_sim)
    soma, v, t = _small_model(sim)
    _bad_operations(ref_sim, ref_soma)
    ops = _bad_operations(sim, soma)
    for s in (ref_sim, sim):
        s.finitialize(-65)
        s.continuerun(10.0)
    v_before, t_before = v.as_numpy().copy(), t.as_numpy().copy()
    assert np.max(v_before) > 0  # the run spiked: there is state worth keeping

    with pytest.raises(CableError):
        ops[bad]()

    assert sim.t == pytest.approx(10.0, abs=1e-9)  # 400 steps of t += dt: round-off only
    assert (soma.L, soma.diam, soma.nseg, sim.dt) == (10.0, 10.0, 1, 0.025)
    assert soma.parent is None and list(soma.mechanisms) == ["hh"]
    np.testing.assert_array_equal(v.as_numpy(), v_before)
    np.testing.assert_array_equal(t.as_numpy(), t_before)
    # ... and the run continues exactly as if nothing had happened (no re-initialization)
    sim.continuerun(20.0)
    ref_sim.continuerun(20.0)
    np.testing.assert_array_equal(t.as_numpy(), ref_t.as_numpy())
    np.testing.assert_array_equal(v.as_numpy(), ref_v.as_numpy())
