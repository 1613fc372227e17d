"""Generate NEURON reference runs of OUR mod files, for the NMODL-loader tests.

Run from the repository root with the NEURON oracle venv (NEURON 9.0.2)::

    NEURON_MODULE_OPTIONS=-nogui .venv-neuron/bin/python tests/reference/make_nmodl_refs.py

(about half a minute); name files to write only those (``... make_nmodl_refs.py
nmodl_kinetic_be_dt0.1.npz``). NEURON is only the oracle; the project never imports it.
The mod files that ``cable.load_mechanisms`` translates (``examples/mod168874/*.mod``,
``tests/cable/mod/kin3.mod``, ``cabuf.mod``, ``kdi.mod`` and ``decay2.mod``) are compiled
with ``nrnivmodl`` (found next to the venv's python) in a temporary directory that is
removed afterwards. The fixed-step runs of the implicit methods run each in a child
process of their own. Every file has a ``meta`` entry: a JSON string with the NEURON
version, the model, the method and a description of every array. Units: t ms, v mV,
concentrations mM.

Files written
-------------
nmodl_mod168874_soma.npz
    §12 of shared/models/modeldb168874.md: the seven channels with pas in one
    compartment (L = diam = 20 um, cm 1.41 uF/cm2 as the model's cell), IClamp 0.3 nA 20-420 ms, 37 degC, fixed step
    dt = 0.025 (backward Euler), 500 ms, every step recorded (float32 ``v``),
    ``spikes`` (upward 0 mV crossings, linearly interpolated).
nmodl_kinetic.npz
    hh soma (L = diam = 10 um) with kin3 (C <-> O <-> I, CONSERVE) and cabuf (calcium,
    buffer, CONSERVE, COMPARTMENT) under CVODE (rtol = atol = 1e-10), IClamp 0.15 nA
    5-45 ms, 50 ms recorded every 0.5 ms (``*_cvode``), and the same on the fixed step
    dt = 0.025 (``*_fixed``, every 20th step).
nmodl_kinetic_be_dt0.025.npz, nmodl_kinetic_be_dt0.1.npz
    The same model on the fixed step (backward Euler, secondorder 0; METHOD sparse:
    NEURON's Newton iterations on implicit Euler, CONSERVE as an equation) at dt = 0.025
    and 0.1 ms, every step recorded: t v C O I ca B CaB.
nmodl_derivimplicit_be_dt0.025.npz, nmodl_derivimplicit_be_dt0.1.npz
    hh soma (L = diam = 10 um) with kdi (n, u: METHOD derivimplicit, nonlinear and
    coupled) and decay2 (x' = -r x^2, derivimplicit), IClamp 0.15 nA 5-45 ms, 6.3 degC,
    50 ms on the fixed step (backward Euler, secondorder 0) at dt = 0.025 and 0.1 ms,
    every step recorded: t v n u x.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "data")
MOD_FILES = sorted(glob.glob(os.path.join(ROOT, "examples", "mod168874", "*.mod"))) + [
    os.path.join(ROOT, "tests", "cable", "mod", "kin3.mod"),
    os.path.join(ROOT, "tests", "cable", "mod", "cabuf.mod"),
    os.path.join(ROOT, "tests", "cable", "mod", "kdi.mod"),
    os.path.join(ROOT, "tests", "cable", "mod", "decay2.mod"),
]
MAX_BYTES = 1_000_000

SOMA_168874 = dict(
    soma=dict(L=20.0, diam=20.0, nseg=1, Ra=35.4, cm=1.41),
    densities=dict(
        g_pas=1 / 25370,
        e_pas=-64.0,
        gcalbar_cal=1e-3,
        gcanbar_can=1e-3,
        gcatbar_cat=1e-4,
        gbar_cagk=9e-3,
        gkabar_kap=0.02,
        gkdrbar_kdr=0.01,
        gbar_na3=0.11,
    ),
    iclamp=dict(delay=20.0, dur=400.0, amp=0.3),
    celsius=37.0,
    v_init=-65.0,
    tstop=500.0,
    dt=0.025,
    note="cm 1.41 uF/cm2 is the model's (section 11.1; with cm = 1 there are 29 spikes); "
    "cai and cao stay at NEURON's defaults 5e-5 and 2 mM (nothing writes them)",
)
KINETIC = dict(
    soma=dict(L=10.0, diam=10.0, nseg=1, Ra=35.4, cm=1.0),
    mechanisms=["hh (defaults)", "kin3 (defaults)", "cabuf (defaults)"],
    iclamp=dict(delay=5.0, dur=40.0, amp=0.15),
    celsius=6.3,
    v_init=-65.0,
    tstop=50.0,
    cvode=dict(rtol=1e-10, atol=1e-10, record_dt=0.5),
    fixed=dict(dt=0.025, every=20),
)
KINETIC_TRACES = dict(v="v", C="C_kin3", O="O_kin3", I="I_kin3", ca="ca_cabuf", B="B_cabuf", CaB="CaB_cabuf")
DERIVIMPLICIT = dict(
    soma=dict(L=10.0, diam=10.0, nseg=1, Ra=35.4, cm=1.0),
    mechanisms=["hh (defaults)", "kdi (defaults)", "decay2 (defaults)"],
    iclamp=dict(delay=5.0, dur=40.0, amp=0.15),
    celsius=6.3,
    v_init=-65.0,
    tstop=50.0,
)
DERIVIMPLICIT_TRACES = dict(v="v", n="n_kdi", u="u_kdi", x="x_decay2")
#: output file -> (model, mechanisms, traces, dt) of the fixed-step runs of implicit methods
IMPLICIT_JOBS = {
    f"nmodl_{name}_be_dt{dt}.npz": (model, mechs, traces, dt)
    for name, model, mechs, traces in (
        ("kinetic", KINETIC, ("hh", "kin3", "cabuf"), KINETIC_TRACES),
        ("derivimplicit", DERIVIMPLICIT, ("hh", "kdi", "decay2"), DERIVIMPLICIT_TRACES),
    )
    for dt in (0.025, 0.1)
}


def compile_mods(workdir):
    nrnivmodl = os.path.join(os.path.dirname(sys.executable), "nrnivmodl")
    for f in MOD_FILES:
        shutil.copy(f, workdir)
    subprocess.run([nrnivmodl], cwd=workdir, check=True, capture_output=True)
    return os.path.join(workdir, "x86_64", "libnrnmech.so")


def crossings(t, v, threshold=0.0):
    i = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


def run_168874(h):
    p = SOMA_168874
    soma = h.Section(name="soma168874")
    soma.L, soma.diam, soma.nseg, soma.Ra, soma.cm = (p["soma"][k] for k in ("L", "diam", "nseg", "Ra", "cm"))
    for m in ("pas", "cal", "can", "cat", "cagk", "kap", "kdr", "na3"):
        soma.insert(m)
    for name, value in p["densities"].items():
        setattr(soma(0.5), name, value)
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = (p["iclamp"][k] for k in ("delay", "dur", "amp"))
    h.celsius = p["celsius"]
    h.dt = p["dt"]
    h.cvode.active(0)
    t = h.Vector().record(h._ref_t)
    v = h.Vector().record(soma(0.5)._ref_v)
    h.finitialize(p["v_init"])
    h.continuerun(p["tstop"])
    t, v = np.array(t), np.array(v)
    out = dict(t=t, v=v.astype(np.float32), spikes=crossings(t, v))
    meta = dict(model=p, neuron=_version(), arrays=dict(t="ms, every step", v="mV (float32)", spikes="ms"))
    h.delete_section(sec=soma)
    return out, meta


def run_kinetic(h, cvode):
    p = KINETIC
    soma = h.Section(name="soma_kinetic")
    soma.L, soma.diam, soma.nseg, soma.Ra, soma.cm = (p["soma"][k] for k in ("L", "diam", "nseg", "Ra", "cm"))
    for m in ("hh", "kin3", "cabuf"):
        soma.insert(m)
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = (p["iclamp"][k] for k in ("delay", "dur", "amp"))
    h.celsius = p["celsius"]
    seg = soma(0.5)
    refs = dict(
        v=seg._ref_v,
        C=seg._ref_C_kin3,
        O=seg._ref_O_kin3,
        I=seg._ref_I_kin3,
        ca=seg._ref_ca_cabuf,
        B=seg._ref_B_cabuf,
        CaB=seg._ref_CaB_cabuf,
    )
    if cvode:
        h.cvode.active(1)
        h.cvode.rtol(p["cvode"]["rtol"])
        h.cvode.atol(p["cvode"]["atol"])
        rec_dt = p["cvode"]["record_dt"]
        vecs = {k: h.Vector().record(r, rec_dt) for k, r in refs.items()}
        t = h.Vector().record(h._ref_t, rec_dt)
    else:
        h.cvode.active(0)
        h.dt = p["fixed"]["dt"]
        vecs = {k: h.Vector().record(r) for k, r in refs.items()}
        t = h.Vector().record(h._ref_t)
    h.finitialize(p["v_init"])
    h.continuerun(p["tstop"])
    h.cvode.active(0)
    step = 1 if cvode else p["fixed"]["every"]
    out = {k: np.array(vec)[::step] for k, vec in vecs.items()}
    out["t"] = np.array(t)[::step]
    h.delete_section(sec=soma)
    return out


def _version():
    import neuron

    return neuron.__version__


def save(name, arrays, meta):
    path = os.path.join(OUT, name)
    np.savez_compressed(path, meta=json.dumps(meta), **arrays)
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        raise SystemExit(f"{name} is {size} bytes, over {MAX_BYTES}")
    print(f"wrote {name} ({size} bytes)")


def run_implicit(h, model, mechs, traces, dt):
    """One fixed-step run (backward Euler) of a soma with ``mechs``, every step recorded."""
    soma = h.Section(name="soma_implicit")
    soma.L, soma.diam, soma.nseg, soma.Ra, soma.cm = (model["soma"][k] for k in ("L", "diam", "nseg", "Ra", "cm"))
    for m in mechs:
        soma.insert(m)
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = (model["iclamp"][k] for k in ("delay", "dur", "amp"))
    h.celsius = model["celsius"]
    h.cvode.active(0)
    h.secondorder = 0
    h.dt = dt
    h.steps_per_ms = 1.0 / dt  # else stdrun's setdt() turns dt = 0.1 into 0.025
    seg = soma(0.5)
    vecs = {k: h.Vector().record(getattr(seg, "_ref_" + name)) for k, name in traces.items()}
    t = h.Vector().record(h._ref_t)
    h.finitialize(model["v_init"])
    h.continuerun(model["tstop"])
    out = {k: np.array(vec) for k, vec in vecs.items()}
    out["t"] = np.array(t)
    assert h.dt == dt and np.allclose(np.diff(out["t"]), dt), "NEURON changed dt"
    return out


def make_implicit(name, dll):
    """Run one fixed-step job in a child process, then save it with its meta."""
    model, _, traces, dt = IMPLICIT_JOBS[name]
    with tempfile.TemporaryDirectory(prefix="nmodl_job_") as tmp:
        path = os.path.join(tmp, "out.npz")
        subprocess.run([sys.executable, __file__, "--job", name, dll, path], check=True)
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files if k != "neuron"}
            version = str(f["neuron"])
    kinetic = model is KINETIC
    meta = dict(
        model={k: value for k, value in model.items() if k not in ("cvode", "fixed")},
        neuron=version,
        method=f"fixed step dt = {dt} ms, backward Euler (secondorder 0), every step recorded",
        arrays="t [ms], v [mV], " + ", ".join(f"{k} ({n})" for k, n in traces.items() if k != "v"),
        note="METHOD sparse: Newton on implicit Euler with the CONSERVE equation, one iteration for kin3 "
        "(first-order reactions), until sum |dx| <= 1e-6 for cabuf"
        if kinetic
        else "METHOD derivimplicit: Newton on implicit Euler (central-difference Jacobian), "
        "until the relative change <= 1e-6",
    )
    save(name, arrays, meta)


def main(argv):
    if len(argv) == 4 and argv[0] == "--job":
        name, dll, path = argv[1:]
        from neuron import h

        h.nrn_load_dll(dll)
        h.load_file("stdrun.hoc")
        np.savez(path, neuron=_version(), **run_implicit(h, *IMPLICIT_JOBS[name]))
        return
    names = argv or ["nmodl_mod168874_soma.npz", "nmodl_kinetic.npz", *IMPLICIT_JOBS]
    unknown = [n for n in names if n not in ("nmodl_mod168874_soma.npz", "nmodl_kinetic.npz", *IMPLICIT_JOBS)]
    if unknown:
        raise SystemExit(f"unknown files {unknown}")
    workdir = tempfile.mkdtemp(prefix="nmodl_refs_")
    try:
        dll = compile_mods(workdir)
        for name in names:
            if name in IMPLICIT_JOBS:
                make_implicit(name, dll)
        if "nmodl_mod168874_soma.npz" not in names and "nmodl_kinetic.npz" not in names:
            return
        from neuron import h

        h.nrn_load_dll(dll)
        h.load_file("stdrun.hoc")
        if "nmodl_mod168874_soma.npz" in names:
            arrays, meta = run_168874(h)
            save("nmodl_mod168874_soma.npz", arrays, meta)
        if "nmodl_kinetic.npz" in names:
            cv = run_kinetic(h, cvode=True)
            fx = run_kinetic(h, cvode=False)
            arrays = {f"{k}_cvode": a for k, a in cv.items()} | {f"{k}_fixed": a for k, a in fx.items()}
            meta = dict(
                model=KINETIC,
                neuron=_version(),
                arrays="t [ms], v [mV], C O I (kin3, 1), ca B CaB (cabuf, mM); suffix _cvode or _fixed",
                note="NEURON's CVODE ignores CONSERVE; its fixed step (METHOD sparse, implicit Euler) enforces it",
            )
            save("nmodl_kinetic.npz", arrays, meta)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
