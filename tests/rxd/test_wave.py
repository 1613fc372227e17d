"""Wave measures from a kymograph: synthetic waves with known fronts, and the
ModelDB 168874 base wave against examples/cawave.py's own wave_speed."""

import pathlib
import sys

import numpy as np
import pytest

import rxd
from rxd._wave import wave_distance, wave_duration, wave_fronts, wave_onset, wave_speed

ROOT = pathlib.Path(__file__).resolve().parents[2]


def synthetic_wave(up_um_s=200.0, down_um_s=100.0, centre=100, n_nodes=400, dt=10.0, t_on=50.0, t_off=None):
    """Kymograph (time, node) of 1 mM between two fronts leaving node ``centre`` at
    ``t_on`` [ms] at whole nodes per sample (1-um nodes), 0 elsewhere; returns t, k."""
    t = np.arange(0.0, 1000.0, dt)
    k = np.zeros((t.size, n_nodes))
    for row, tt in enumerate(t):
        if tt < t_on or (t_off is not None and tt > t_off):
            continue
        hi = min(centre + round(up_um_s * (tt - t_on) / 1000.0), n_nodes - 1)
        lo = max(centre - round(down_um_s * (tt - t_on) / 1000.0), 0)
        k[row, lo : hi + 1] = 1.0
    return t, k


def test_fronts_of_a_synthetic_wave():
    t, k = synthetic_wave()
    fr = wave_fronts(t, k, threshold=0.5)
    assert np.isnan(fr.upper[t < 50]).all() and np.isnan(fr.lower[t < 50]).all()
    on = t >= 50
    np.testing.assert_array_equal(fr.upper[on], np.minimum(100.5 + 0.2 * (t[on] - 50), 399.5))
    np.testing.assert_array_equal(fr.lower[on], np.maximum(100.5 - 0.1 * (t[on] - 50), 0.5))


def test_speed_is_the_slope_of_each_front():
    t, k = synthetic_wave()
    up, down = wave_speed(t, k, threshold=0.5, fit=(100, 900))
    assert up == pytest.approx(200.0, rel=1e-12) and down == pytest.approx(100.0, rel=1e-12)


def test_fronts_on_the_end_nodes_are_left_out_of_the_fit():
    t, k = synthetic_wave(up_um_s=600.0, down_um_s=200.0)  # at the end nodes from 550 ms on
    assert wave_fronts(t, k, threshold=0.5).upper[-1] == 399.5
    up, down = wave_speed(t, k, threshold=0.5)
    assert up == pytest.approx(600.0, rel=1e-12) and down == pytest.approx(200.0, rel=1e-12)


@pytest.mark.parametrize("dx", [0.5, 2.0])
def test_node_spacing_scales_positions_and_speeds(dx):
    t, k = synthetic_wave()
    assert wave_speed(t, k, threshold=0.5, dx=dx, fit=(100, 900)).up == pytest.approx(200.0 * dx, rel=1e-12)
    x = (np.arange(k.shape[1]) + 0.5) * dx
    assert wave_distance(t, k, threshold=0.5, x=x) == wave_distance(t, k, threshold=0.5, dx=dx)


def test_onset_duration_and_distance():
    t, k = synthetic_wave(t_on=50.0, t_off=700.0)
    assert wave_onset(t, k, threshold=0.5) == 50.0
    assert wave_duration(t, k, threshold=0.5) == 650.0
    # at 700 ms the fronts are 130 nodes above and 65 below the centre
    assert wave_distance(t, k, threshold=0.5) == 195.0


def test_a_smaller_disconnected_region_is_not_the_wave():
    t, k = synthetic_wave()
    k[2:4, 300:310] = 1.0  # a blip at 20-30 ms, before the wave and far from it
    assert wave_onset(t, k, threshold=0.5) == 50.0
    assert wave_speed(t, k, threshold=0.5, fit=(100, 900)).up == pytest.approx(200.0, rel=1e-12)


def test_no_wave_gives_nan():
    t = np.arange(10.0)
    k = np.full((10, 20), 1e-4)
    assert np.isnan(wave_onset(t, k)) and np.isnan(wave_duration(t, k)) and np.isnan(wave_distance(t, k))
    assert np.isnan(wave_speed(t, k)).all()
    assert np.isnan(wave_fronts(t, k).upper).all()


def test_a_fit_window_with_fewer_than_two_samples_gives_nan():
    t, k = synthetic_wave()
    assert np.isnan(wave_speed(t, k, threshold=0.5, fit=(100, 105))).all()


def test_the_threshold_is_strict():
    t = np.arange(3.0)
    k = np.zeros((3, 4))
    k[1:, 1] = 2e-4
    assert np.isnan(wave_onset(t, k))
    k[2, 1] = 2.0001e-4
    assert wave_onset(t, k) == 2.0


@pytest.mark.parametrize(
    ("t", "k", "kwargs", "message"),
    [
        (np.arange(3.0), np.zeros(3), {}, "must be 2-D"),
        (np.arange(4.0), np.zeros((3, 2)), {}, "one time per kymograph row"),
        (np.arange(3.0), np.zeros((3, 2)), {"threshold": np.nan}, "threshold must be"),
        (np.arange(3.0), np.zeros((3, 2)), {"dx": 0.0}, "dx must be"),
        (np.arange(3.0), np.zeros((3, 2)), {"x": [0.0]}, "one position"),
        (np.arange(3.0), np.zeros((3, 2)), {"fit": (5.0, 1.0)}, "start < stop"),
        (np.arange(3.0), np.zeros((3, 2)), {"fit": 5.0}, "fit must be a window"),
    ],
)
def test_bad_input_names_the_value(t, k, kwargs, message):
    with pytest.raises(rxd.RxdError, match=message):
        wave_speed(t, k, **kwargs)


@pytest.fixture(scope="module")
def cawave():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import cawave
    finally:
        sys.path.remove(str(ROOT / "examples"))
    return cawave


def test_the_base_wave_speed_is_examples_cawave_speed(cawave):
    t, k, _ = cawave.run()
    assert tuple(wave_speed(t, k, fit=(2500.0, 5000.0))) == cawave.wave_speed(t, k)  # bit for bit
    _, top, bottom = cawave.fronts(t, k)
    fr = wave_fronts(t, k)
    np.testing.assert_array_equal(fr.upper[t > 2000], top)
    np.testing.assert_array_equal(fr.lower[t > 2000], bottom)
    assert 2000 < wave_onset(t, k) < 2200  # the IP3 stimulus is at 2000 ms
    assert wave_duration(t, k) == t[-1] - wave_onset(t, k)  # still going at 5000 ms
    assert wave_distance(t, k) == top[-1] - bottom[-1]
