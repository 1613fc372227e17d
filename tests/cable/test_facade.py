"""The NEURON-style facade ``h``: the NEURON tutorial script runs unchanged (apart from
its import line) and reproduces NEURON's trace.

Every test builds its own facade over a fresh Simulation (``cable.HocFacade(
cable.Simulation())``), so nothing touches the global ``cable.h`` and its default
simulation, except the import test at the end, which only reads attributes.
"""

import functools

import numpy as np
import pytest

import cable

# The facade forwards to the native fixed step, which reproduces NEURON's backward Euler
# up to floating-point rounding (measured max |dv| ~1e-9 mV); see test_neuron_reference.
V_TOL_FIXED = 1e-6  # mV
T_TOL = 1e-9  # ms, round-off of the accumulated t


def fresh_h():
    return cable.HocFacade(cable.Simulation())


@functools.lru_cache(maxsize=None)
def tutorial_run():
    """The NEURON tutorial script, verbatim but for how h is made."""
    h = fresh_h()
    soma = h.Section(name="soma")
    soma.nseg = 1
    soma.diam = 10
    soma.L = 10
    soma.insert("hh")
    stim = h.IClamp(soma(0.5))
    stim.delay = 50
    stim.dur = 200
    stim.amp = 0.1
    rec_t = h.Vector()
    rec_t.record(h._ref_t)
    rec_v = h.Vector()
    rec_v.record(soma(0.5)._ref_v)
    h.finitialize(-65)
    h.tstop = 300
    h.run()
    t = rec_t.as_numpy()
    v = rec_v.as_numpy()
    return h, soma, t.copy(), v.copy()


def test_tutorial_script_matches_neuron(reference):
    ref = reference("hh_soma_be_dt0.025")
    h, _, t, v = tutorial_run()
    assert h.t == pytest.approx(300.0, abs=T_TOL)
    assert len(t) == len(v) == len(ref["t"])
    np.testing.assert_allclose(t, ref["t"], rtol=0, atol=T_TOL)
    np.testing.assert_allclose(v, ref["v_soma"], rtol=0, atol=V_TOL_FIXED)


def test_tutorial_script_spike_times(reference, spike_times):
    ref = reference("hh_soma_be_dt0.025")
    _, _, t, v = tutorial_run()
    ours, theirs = spike_times(t, v), spike_times(ref["t"], ref["v_soma"])
    assert len(ours) == len(theirs) == len(ref["spikes"])
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=0.01)  # the criterion [ms]


def test_vector_conversions():
    _, _, t, _ = tutorial_run()
    vec = cable.Vector(t)
    assert len(vec) == vec.size() == len(t)
    assert vec.to_python()[:3] == pytest.approx([0.0, 0.025, 0.05], abs=T_TOL)
    np.testing.assert_array_equal(np.asarray(vec), t)


def test_load_file_and_run_defaults():
    h = fresh_h()
    assert h.load_file("stdrun.hoc") == 1
    assert (h.tstop, h.v_init, h.dt, h.secondorder) == (5.0, -65.0, 0.025, 0)
    soma = h.Section(name="soma")
    soma.L = soma.diam = 10
    soma.insert("pas")
    h.v_init = -70
    h.run(2.5)  # NEURON's run(tstop) form
    assert h.tstop == 2.5
    assert h.t == pytest.approx(2.5, abs=T_TOL)
    # passive membrane started at e_pas = -70: stays put (round-off only)
    assert soma(0.5).v == pytest.approx(-70.0, abs=1e-12)


def test_cvode_active_switches_the_integrator():
    h = fresh_h()
    assert h.cvode.active() == 0
    assert h.cvode.active(1) == 1
    assert h.CVode().active() == 1
    assert h._sim.cvode.active() == 1
    h.cvode.atol(1e-4)
    assert h._sim.cvode.atol() == 1e-4
    soma = h.Section(name="soma")
    soma.L = soma.diam = 10
    soma.insert("hh")
    rec_t = h.Vector().record(h._ref_t)
    h.tstop = 5
    h.run()
    t = rec_t.as_numpy()
    # variable steps: non-uniform, unlike the fixed dt grid
    steps = np.diff(t)
    assert np.ptp(steps) > 0.01
    assert t[-1] == pytest.approx(5.0, abs=T_TOL)


def test_celsius_forwards_and_changes_the_dynamics():
    def peak(celsius):
        h = fresh_h()
        assert h.celsius == 6.3
        h.celsius = celsius
        assert h._sim.celsius == celsius
        soma = h.Section(name="soma")
        soma.L = soma.diam = 10
        soma.insert("hh")
        stim = h.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 1, 5, 0.1
        v = h.Vector().record(soma(0.5)._ref_v)
        h.tstop = 10
        h.run()
        return v.as_numpy().max()

    # hh's q10 = 3 per 10 degC: at 16.3 degC the spike is smaller (measured 41.6 vs 33.7 mV)
    assert peak(6.3) - peak(16.3) > 5.0


def test_usetable_hh_reaches_the_mechanism():
    def trace(usetable):
        h = fresh_h()
        assert h.usetable_hh == 1
        if usetable is not None:
            h.usetable_hh = usetable
            assert h.usetable_hh == usetable
            assert h._sim.mech_globals["hh"]["usetable"] == usetable
        soma = h.Section(name="soma")
        soma.L = soma.diam = 10
        soma.insert("hh")
        stim = h.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 1, 5, 0.1
        v = h.Vector().record(soma(0.5)._ref_v)
        h.tstop = 10
        h.run()
        return v.as_numpy().copy()

    default, table, exact = trace(None), trace(1), trace(0)
    np.testing.assert_array_equal(default, table)
    # exact rates instead of the 1 mV table: a visible (measured 0.09 mV) but small change
    assert 1e-3 < np.max(np.abs(exact - table)) < 1.0


def test_unknown_names_raise_attribute_error():
    h = fresh_h()
    with pytest.raises(AttributeError, match="h has no attribute 'gnabar_xyz'"):
        h.gnabar_xyz
    with pytest.raises(AttributeError, match="cannot set h.nothing"):
        h.nothing = 1


def test_range_variables_per_segment():
    h = fresh_h()
    soma = h.Section(name="soma")
    soma.nseg = 3
    soma.L = soma.diam = 10
    soma.insert("hh")
    segs = list(soma)
    assert [s.hh.gnabar for s in segs] == [0.12] * 3
    assert [s.gnabar_hh for s in segs] == [0.12] * 3
    segs[1].hh.gnabar = 0.2
    segs[2].gnabar_hh = 0.05
    assert [s.gnabar_hh for s in segs] == [0.12, 0.2, 0.05]
    assert [s.hh.gnabar for s in segs] == [0.12, 0.2, 0.05]
    assert soma(0.5).hh.gnabar == 0.2  # the middle segment
    assert soma(0.9).gnabar_hh == 0.05
    with pytest.raises(AttributeError, match="has no variable 'pas'"):
        soma(0.5).pas  # not inserted: hence not a mechanism view
    with pytest.raises(AttributeError, match="mechanism 'hh' has no variable 'gbar'"):
        soma(0.5).hh.gbar


def test_range_variables_set_after_finitialize_reach_the_run():
    def peak(gnabar_after_init):
        h = fresh_h()
        soma = h.Section(name="soma")
        soma.nseg = 3
        soma.L = soma.diam = 10
        soma.insert("hh")
        stim = h.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 1, 20, 0.3
        v = h.Vector().record(soma(0.5)._ref_v)
        h.finitialize(-65)
        if gnabar_after_init is not None:
            for seg in soma:
                seg.gnabar_hh = gnabar_after_init
            assert [seg.hh.gnabar for seg in soma] == [gnabar_after_init] * 3
        h.continuerun(20)
        return v.as_numpy().max()

    assert peak(None) > 20  # spikes overshoot 0 mV
    assert peak(0.0) < 0  # without sodium: no overshoot (measured -14 mV)


def test_allsec_and_psection(capsys):
    h = fresh_h()
    soma = h.Section(name="soma")
    dend = h.Section(name="dend")
    dend.connect(soma(1))
    soma.insert("hh")
    assert [s.name for s in h.allsec()] == ["soma", "dend"]
    assert h.psection(soma) == 1
    out = capsys.readouterr().out
    assert "soma { nseg=1 L=100 Ra=35.4" in out
    assert "insert hh { gnabar=0.12 gkbar=0.036 gl=0.0003 el=-54.3 }" in out
    h.psection(dend)
    assert "connected to soma(1)" in capsys.readouterr().out
    d = soma.psection()
    assert d["density_mechs"]["hh"]["gnabar"] == [0.12]
    assert d["morphology"] == {"L": 100.0, "diam": [500.0], "nseg": 1}


def test_nrn_load_dll_is_refused():
    with pytest.raises(cable.CableError, match="compiled NEURON mechanisms cannot be loaded"):
        fresh_h().nrn_load_dll("x86_64/.libs/libnrnmech.so")


def test_global_h_import():
    # attribute access only: no sections, no run, so the default simulation stays empty
    from cable import h

    assert isinstance(h, cable.HocFacade)
    assert h is cable.h  # one facade, created once
    assert h.load_file("stdrun.hoc") == 1
    assert h.dt > 0 and h.tstop > 0
    assert h._sim is cable.default_simulation()
