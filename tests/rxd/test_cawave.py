"""The ModelDB 168874 base calcium wave (examples/cawave.py) against NEURON 9.0.2.

References: ``rxd_cawave_base.npz`` (CVODE atol 1e-6: kymograph, fronts, speeds, onset,
IP3R hot spots, node volumes) and ``rxd_cawave_base_fixed.npz`` (fixed steps dt = 1 and
0.1 ms: fronts, speeds, onset, c at the middle node every 5 ms); see
``tests/reference/make_rxd_refs.py``. The model, its initialization and the front and
speed analysis are the example's own ``build`` / ``run`` / ``fronts`` / ``wave_speed``.
"""

import numpy as np
import pytest

from rxd._system import system_for

SPEED_TOL = 0.02  # acceptance criterion: wave speeds within 2 % of NEURON's
ONSET_TOL = 20.0  # [ms] acceptance criterion for the onset
KYMO_TOL = 0.05  # acceptance criterion: kymographs within 5 % of the peak outside the fronts
RECORD_DT = 5.0  # [ms] the example's and the references' sampling interval
# Front band excluded from the kymograph comparison: nodes within 10 um of either of
# NEURON's fronts at that sample. The front rises from the 2e-4 mM threshold to 90 % of
# the peak within 7 um (slope up to 21 % of the peak per um), so a front shifted by one
# node (1 um, see test_fronts_match_neuron) already differs by ~20 % of the peak there;
# 10 um = 7 um of rise + 2 um of allowed front shift + 1 um.
FRONT_BAND = 10.0  # [um]


@pytest.fixture(scope="module")
def cawave(example):
    return example("cawave")


@pytest.fixture(scope="module")
def cvode_run(cawave):
    """One CVODE run (atol 1e-6) of the base wave: (t, kymograph, sim)."""
    t, kymo, info = cawave.run(cvode=True, atol=1e-6)
    return t, kymo, info["sim"]


@pytest.fixture(scope="module")
def fixed_run(cawave):
    """One fixed-step run at dt = 1 ms (~3 s): (t, kymograph, sim)."""
    t, kymo, info = cawave.run(cvode=False, dt=1.0)
    return t, kymo, info["sim"]


def species(sim, name):
    (s,) = [s for s in system_for(sim).species if s.name == name]
    return s


def region(s, name):
    (r,) = [r for r in s.regions if r.name == name]
    return r


def onset(cawave, t, kymo):
    """First sample after the stimulus with a front (any node above the threshold)."""
    tt, top, _ = cawave.fronts(t, kymo)
    return tt[np.isfinite(top)][0]


# ---------------------------------------------------------------------------- CVODE


def test_samples_every_5_ms(cvode_run, reference):
    t, kymo, _ = cvode_run
    ref = reference("rxd_cawave_base")
    assert kymo.shape == (len(ref["t"]), 1000)
    np.testing.assert_allclose(t, ref["t"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("direction", ["up", "down"])
def test_cvode_wave_speed_matches_neuron(cawave, cvode_run, reference, direction):
    t, kymo, _ = cvode_run
    ref = reference("rxd_cawave_base")
    ours = dict(zip(["up", "down"], cawave.wave_speed(t, kymo)))[direction]  # [um/s], both > 0
    theirs = abs(float(ref[f"speed_{direction}_um_per_s"]))  # NEURON stores down as negative
    assert abs(ours - theirs) < SPEED_TOL * theirs
    # measured 70.260 vs 70.233 um/s (0.04 %): fronts agree to one node at every sample;
    # 0.2 % still catches a change of the model (e.g. 1 % in gserca moves it by more)
    assert abs(ours - theirs) < 0.002 * theirs


def test_cvode_fronts_match_neuron(cawave, cvode_run, reference):
    t, kymo, _ = cvode_run
    ref = reference("rxd_cawave_base")
    tt, top, bottom = cawave.fronts(t, kymo)
    np.testing.assert_allclose(tt, ref["front_t"], rtol=0, atol=1e-9)
    both = np.isfinite(top) & np.isfinite(ref["front_top"])
    assert both.sum() > 500  # the wave runs for ~580 of the 600 samples
    # fronts are node positions (1 um apart); measured: at most one node apart
    assert np.abs(top - ref["front_top"])[both].max() <= 2.0
    assert np.abs(bottom - ref["front_bottom"])[both].max() <= 2.0


def test_cvode_onset_matches_neuron(cawave, cvode_run, reference):
    t, kymo, _ = cvode_run
    ref = reference("rxd_cawave_base")
    # measured 2120 vs NEURON's 2115 ms: one sample
    assert abs(onset(cawave, t, kymo) - float(ref["onset_ms"])) <= ONSET_TOL


def test_cvode_peak_matches_neuron(cvode_run, reference):
    t, kymo, _ = cvode_run
    ref = reference("rxd_cawave_base")
    # measured 1.64280e-3 vs 1.64311e-3 mM (0.02 %); 0.5 % is 2.5 % of the wave's rise
    assert kymo[t > 2000].max() == pytest.approx(float(ref["peak_c"]), rel=5e-3)


def test_cvode_kymograph_matches_neuron_outside_the_fronts(cvode_run, reference):
    t, kymo, _ = cvode_run
    ref = reference("rxd_cawave_base")
    tk = ref["kymograph_t"]
    rows = np.rint(tk / RECORD_DT).astype(int)
    np.testing.assert_allclose(t[rows], tk, rtol=0, atol=1e-9)
    ours, theirs = kymo[rows], ref["kymograph"].astype(float)  # float32 in the file: ~1e-7 relative
    x = ref["x_um"]
    # NEURON's fronts at the kymograph's rows (front_t is 2005, 2010, ... 5000 ms)
    keep = np.ones(theirs.shape, dtype=bool)
    for i, tr in enumerate(tk):
        j = int(round((tr - ref["front_t"][0]) / RECORD_DT))
        if 0 <= j < len(ref["front_t"]) and np.isfinite(ref["front_top"][j]):
            near = (np.abs(x - ref["front_top"][j]) <= FRONT_BAND) | (np.abs(x - ref["front_bottom"][j]) <= FRONT_BAND)
            keep[i] &= ~near
    assert keep.mean() > 0.97  # the band excludes ~2.4 % of the samples
    peak = float(ref["peak_c"])
    diff = np.abs(ours - theirs)[keep].max()
    assert diff < KYMO_TOL * peak
    # measured 0.26 % of the peak (the same with a 20 or 30 um band: the difference
    # outside the fronts is not from the fronts); 1 % is a 4x margin for two step-size
    # controllers at atol 1e-6
    assert diff < 0.01 * peak


def test_ip3r_hot_spots_match_neuron(cvode_run, reference):
    _, _, sim = cvode_run
    ref = reference("rxd_cawave_base")
    values = species(sim, "gip3r").nodes.concentration
    hot = ref["gip3r_hot_mask"].astype(bool)
    assert hot.sum() == 490  # 49 windows of 10 nodes
    np.testing.assert_array_equal(values == 120400.0, hot)
    np.testing.assert_array_equal(values[~hot], 96320.0)


@pytest.mark.parametrize(
    "species_name, region_name, quantity, key",
    [
        ("ca", "cyt", "volume", "cyt_volume"),
        ("ca", "er", "volume", "er_volume"),
        ("ca", "cyt", "surface_area", "cyt_surface_area"),
        # a border (ScalableBorder(1)) reports its area (diam x dx = 1 um2) as node.volume
        # and 0 as its surface_area, in NEURON and in ours
        ("h_gate", "cyt_er_membrane", "volume", "membrane_volume"),
        ("h_gate", "cyt_er_membrane", "surface_area", "membrane_surface_area"),
    ],
)
def test_node_geometry_matches_neuron(cvode_run, reference, species_name, region_name, quantity, key):
    _, _, sim = cvode_run
    ref = reference("rxd_cawave_base")
    s = species(sim, species_name)
    nodes = s[region(s, region_name)].nodes
    np.testing.assert_array_equal(np.diff(nodes.x) > 0, True)  # in x order, as NEURON's
    # closed-form geometry in both programs: rounding only (measured <= 2e-16 relative)
    np.testing.assert_allclose(getattr(nodes, quantity), ref[key], rtol=1e-12, atol=0)


# ------------------------------------------------------------------------ fixed step


@pytest.mark.parametrize("direction", ["up", "down"])
def test_fixed_step_wave_speed_matches_neuron(cawave, fixed_run, reference, direction):
    t, kymo, _ = fixed_run
    ref = reference("rxd_cawave_base_fixed")
    ours = dict(zip(["up", "down"], cawave.wave_speed(t, kymo)))[direction]
    theirs = abs(float(ref[f"fixed_dt1_speed_{direction}_um_per_s"]))
    # measured 70.269 vs 70.231 um/s (0.05 %)
    assert abs(ours - theirs) < SPEED_TOL * theirs


def test_fixed_step_onset_matches_neuron(cawave, fixed_run, reference):
    t, kymo, _ = fixed_run
    ref = reference("rxd_cawave_base_fixed")
    # measured 2120 vs NEURON's 2110 ms at dt 1 (NEURON's dt 0.1 run: 2120)
    assert abs(onset(cawave, t, kymo) - float(ref["fixed_dt1_onset_ms"])) <= ONSET_TOL


@pytest.mark.slow
def test_fixed_step_error_no_worse_than_neurons(cawave, fixed_run, reference):
    """max |c_mid(dt 1) - c_mid(dt 0.1)| (c at node 500 every 5 ms), ours against NEURON's:
    our second-order step must not be less accurate than NEURON's backward Euler."""
    t1, kymo1, _ = fixed_run
    t01, kymo01, _ = cawave.run(cvode=False, dt=0.1)  # ~30 s
    ref = reference("rxd_cawave_base_fixed")
    np.testing.assert_allclose(t01, t1, rtol=0, atol=1e-6)
    ours = np.abs(kymo1[:, 500] - kymo01[:, 500]).max()
    theirs = np.abs(ref["fixed_dt1_c_mid"] - ref["fixed_dt0.1_c_mid"]).max()
    # measured 1.8e-5 vs NEURON's 3.9e-4 mM
    assert ours <= theirs
    # and the dt 0.1 speeds: measured 70.263 vs NEURON's 70.251 um/s
    for direction, ours_speed in zip(["up", "down"], cawave.wave_speed(t01, kymo01)):
        theirs_speed = abs(float(ref[f"fixed_dt0.1_speed_{direction}_um_per_s"]))
        assert abs(ours_speed - theirs_speed) < SPEED_TOL * theirs_speed
