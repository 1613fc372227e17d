"""SWC import against NEURON 9.0.2's Import3d (section by section), and bad SWC input.

NEURON references come from ``tests/reference/make_swc_refs.py`` (run in the NEURON
venv), stored in ``tests/reference/data/swc_import.npz``: the two shared morphologies
and two small made-up files whose text the archive holds.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import geometry
from cable import Simulation
from geometry import GeometryError, load_swc, read_swc

HERE = Path(__file__).resolve()
MORPH = HERE.parents[2].parent / "shared" / "morphologies"
REF_FILE = HERE.parents[1] / "reference" / "data" / "swc_import.npz"
SHARED = {"tc200": "tc200.CNG.swc", "mp_ma": "mp_ma_40984_gc2.CNG.swc"}
CASES = ["tc200", "mp_ma", "three_point_soma", "soma_chain"]


@pytest.fixture(scope="module")
def ref():
    with np.load(REF_FILE) as data:
        return {k: data[k] for k in data.files}


def _path(case, ref, tmp_path):
    if case in SHARED:
        path = MORPH / SHARED[case]
        if not path.exists():
            pytest.skip(f"{path} is not there (shared/ sits beside the project root)")
        return path
    path = tmp_path / f"{case}.swc"
    path.write_text(str(ref[f"{case}/text"]))
    return path


@pytest.fixture(scope="module")
def loaded(ref, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("swc")
    return {case: load_swc(_path(case, ref, tmp), sim=Simulation()) for case in CASES}


def test_reference_meta(ref):
    meta = json.loads(str(ref["meta"]))
    assert meta["neuron_version"].startswith("NEURON -- VERSION 9.0.2")
    assert set(meta["synthetic"]) == {"three_point_soma", "soma_chain"}


@pytest.mark.parametrize("case", CASES)
def test_sections_names_and_tree_as_neuron(case, ref, loaded):
    secs = loaded[case]
    names = [s.name for s in secs]
    assert names == list(ref[f"{case}/names"])
    index = {n: i for i, n in enumerate(names)}
    parent = [-1 if s.parent is None else index[s.parent[0].name] for s in secs]
    np.testing.assert_array_equal(parent, ref[f"{case}/parent"])
    parentx = [np.nan if s.parent is None else s.parent[1] for s in secs]
    np.testing.assert_array_equal(parentx, ref[f"{case}/parentx"])
    assert all(s.child_end == 0 for s in secs)
    np.testing.assert_array_equal([s.n3d() for s in secs], ref[f"{case}/n3d"])
    np.testing.assert_array_equal([s.nseg for s in secs], ref[f"{case}/nseg"])


@pytest.mark.parametrize("case", CASES)
def test_points_bitwise_as_neuron_stores_them(case, ref, loaded):
    # NEURON stores 3-D points in single precision; ours round to the same floats
    pts = np.concatenate([[[s.x3d(i), s.y3d(i), s.z3d(i), s.diam3d(i)] for i in range(s.n3d())]
                          for s in loaded[case]])
    np.testing.assert_array_equal(pts.astype(np.float32).astype(np.float64), ref[f"{case}/pts"])


@pytest.mark.parametrize("case", CASES)
def test_lengths_areas_volumes_as_neuron(case, ref, loaded):
    geo = [s.geometry() for s in loaded[case]]
    for key, ours in (("L", [g.L for g in geo]), ("area", [g.area.sum() for g in geo]),
                      ("volume", [g.volume.sum() for g in geo])):
        np.testing.assert_allclose(ours, ref[f"{case}/{key}"], rtol=1e-12, err_msg=key)
        assert np.sum(ours) == pytest.approx(ref[f"{case}/{key}"].sum(), rel=1e-6)


def test_shared_counts(loaded):
    # tc200: the 12 soma points make 7 soma sections (the root point alone becomes a
    # 3-point cylinder); mp_ma: the single-point soma becomes one such cylinder
    assert len(loaded["tc200"]) == 204
    assert sum(s.name.startswith("soma") for s in loaded["tc200"]) == 7
    assert len(loaded["mp_ma"]) == 29
    soma = loaded["mp_ma"][0]
    assert soma.name == "soma[0]" and soma.n3d() == 3
    assert soma.L == pytest.approx(soma.diam3d(0), rel=1e-6)  # L = diam: the sphere's area


def test_default_simulation_is_used_without_sim(ref, tmp_path):
    from cable import default_simulation

    before = len(default_simulation().sections)
    secs = load_swc(_path("three_point_soma", ref, tmp_path))
    assert all(s.sim is default_simulation() for s in secs)
    assert len(default_simulation().sections) == before + len(secs)


def test_read_swc_points(ref, tmp_path):
    p = read_swc(_path("soma_chain", ref, tmp_path))
    assert isinstance(p, geometry.SwcPoints)
    assert p.id[0] == 1 and np.all(np.diff(p.id) > 0)
    assert p.parent[0] == -1 and np.all(p.parent[1:] < np.arange(1, p.id.size))
    assert p.diam[0] == pytest.approx(8.0)


def test_unsorted_ids_are_sorted(tmp_path):
    # NEURON 9's reader crashes on unsorted ids; ours sorts them first
    text = "3 3 0 0 10 0.5 2\n1 1 0 0 0 2 -1\n2 3 0 0 3 0.5 1\n"
    (tmp_path / "u.swc").write_text(text)
    secs = load_swc(tmp_path / "u.swc", sim=Simulation())
    assert [s.name for s in secs] == ["soma[0]", "dend[0]"]
    assert secs[1].n3d() == 2 and secs[1].z3d(1) == 10


# ------------------------------------------------------------------ bad input
GOOD = ["1 1 0 0 0 5 -1", "2 3 0 0 5 1 1", "3 3 0 0 10 1 2", "4 3 0 5 10 0.5 3"]


def _write(tmp_path, lines):
    path = tmp_path / "bad.swc"
    path.write_text("# header\n" + "\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "change, match",
    [
        ({3: "4 3 0 5 10 0.5 9"}, r"bad.swc line 5: point 4 has parent id 9, which no point has"),
        ({1: "2 3 0 0 5 1 3"}, r"points .*2 \(line 3\).*3 \(line 4\).* form a cycle"),
        ({2: "3 3 0 zero 10 1 2"}, r"line 4: y = 'zero' is not a number"),
        ({2: "3 3 0 0 10 -1 2"}, r"line 4: point 3 has a negative radius -1"),
        ({2: "3 3 0 0 10 1"}, r"line 4: expected 7 fields"),
        ({2: "2 3 0 0 10 1 2"}, r"lines 3 and 4: duplicate point id 2"),
        ({3: "4 3 0 5 10 0.5 -1"}, r"2 root points \(parent -1\) at lines 2, 5"),
        ({2: "3.5 3 0 0 10 1 2"}, r"line 4: id = '3.5' is not an integer"),
        ({2: "3 3 0 0 nan 1 2"}, r"line 4: z = 'nan' is not finite"),
    ],
    ids=["missing-parent", "cycle", "non-numeric", "negative-radius", "short-line", "duplicate",
         "two-roots", "non-integer-id", "nan"],
)
def test_bad_swc_names_line_and_point(tmp_path, change, match):
    lines = [change.get(i, line) for i, line in enumerate(GOOD)]
    with pytest.raises(GeometryError, match=match):
        load_swc(_write(tmp_path, lines), sim=Simulation())


def test_parent_listed_after_child(tmp_path):
    lines = ["1 1 0 0 0 5 -1", "2 3 0 0 5 1 3", "3 3 0 0 10 1 1"]
    with pytest.raises(GeometryError, match=r"line 3: point 2 has parent id 3, not smaller"):
        read_swc(_write(tmp_path, lines))


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(GeometryError, match="cannot read SWC file"):
        read_swc(tmp_path / "nope.swc")
    with pytest.raises(GeometryError, match="no points"):
        read_swc(_write(tmp_path, []))


def test_geometry_error_is_a_value_error():
    assert issubclass(GeometryError, ValueError)
