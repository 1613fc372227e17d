"""Built-in mechanisms written with the mechanism API: ``pas``, ``hh``, ``IClamp``,
``SEClamp``, and the synapses ``ExpSyn`` and ``Exp2Syn`` (NEURON's equations).

``hh`` is Hodgkin & Huxley (1952, J Physiol 117:500) with NEURON's default parameters and
temperature factor ``q10 = 3 ** ((celsius - 6.3) / 10)``. As NEURON's ``hh``, its rates come
from a table of 201 points over -100..100 mV, linearly interpolated, unless
``usetable_hh = 0`` (then they are evaluated exactly).
"""

import functools

import numpy as np

from ._mechanism import DensityMechanism, IonUse, PointProcess

__all__ = ["pas", "hh", "IClamp_spec", "SEClamp_spec", "ExpSyn_spec", "Exp2Syn_spec", "BUILTIN"]


# --------------------------------------------------------------------------- pas
def _pas_current(v, states, params, ions, ctx):
    return {"i": params["g"] * (v - params["e"])}


def _pas_conductance(v, states, params, ions, ctx, out):
    return {"i": params["g"]}


pas = DensityMechanism(
    name="pas",
    parameters={"g": 0.001, "e": -70.0},
    units={"g": "S/cm2", "e": "mV", "i": "mA/cm2"},
    nonspecific=("i",),
    current=_pas_current,
    conductance=_pas_conductance,
)


# --------------------------------------------------------------------------- hh
def _vtrap(x, y):
    """x / (exp(x/y) - 1), with its limit y (1 - x/y/2) where |x/y| < 1e-6."""
    r = x / y
    small = np.abs(r) < 1e-6
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x / (np.exp(r) - 1.0)
    return np.where(small, y * (1.0 - r / 2.0), out)


def _hh_exact(v, celsius):
    """minf, mtau, hinf, htau, ninf, ntau [1, ms] at v [mV], as a (6, n) array."""
    q10 = 3.0 ** ((celsius - 6.3) / 10.0)
    a = 0.1 * _vtrap(-(v + 40.0), 10.0)
    b = 4.0 * np.exp(-(v + 65.0) / 18.0)
    m = (a / (a + b), 1.0 / (q10 * (a + b)))
    a = 0.07 * np.exp(-(v + 65.0) / 20.0)
    b = 1.0 / (np.exp(-(v + 35.0) / 10.0) + 1.0)
    h = (a / (a + b), 1.0 / (q10 * (a + b)))
    a = 0.01 * _vtrap(-(v + 55.0), 10.0)
    b = 0.125 * np.exp(-(v + 65.0) / 80.0)
    n = (a / (a + b), 1.0 / (q10 * (a + b)))
    return np.array([m[0], m[1], h[0], h[1], n[0], n[1]])


_TABLE_V = -100.0 + np.arange(201.0)  # NMODL: TABLE ... FROM -100 TO 100 WITH 200


@functools.lru_cache(maxsize=8)
def _hh_table(celsius):
    """The rate table at one temperature (a pure function of celsius, cached)."""
    table = _hh_exact(_TABLE_V, celsius)
    slope = np.diff(table, axis=1)
    table.flags.writeable = False
    slope.flags.writeable = False
    return table, slope


def _hh_rates_array(v, celsius, usetable):
    if not usetable:
        return _hh_exact(np.asarray(v, dtype=float), celsius)
    table, slope = _hh_table(celsius)
    xi = np.minimum(np.maximum(np.asarray(v, dtype=float) + 100.0, 0.0), 200.0)  # (v - FROM) / 1 mV
    i = np.minimum(xi.astype(np.intp), 199)  # beyond the ends: the end values (theta 0 or 1)
    return table[:, i] + (xi - i) * slope[:, i]


def _hh_rates(v, states, params, ions, ctx):
    r = _hh_rates_array(v, ctx.celsius, params["usetable"])
    return r[0::2], r[1::2]  # (inf of m, h, n), (tau of m, h, n): the stacked form


def _hh_current(v, states, params, ions, ctx):
    m, h, n = states["m"], states["h"], states["n"]
    gna = params["gnabar"] * m * m * m * h
    gk = params["gkbar"] * n * n * n * n
    return {
        "ina": gna * (v - ions["ena"]),
        "ik": gk * (v - ions["ek"]),
        "il": params["gl"] * (v - params["el"]),
        "gna": gna,
        "gk": gk,
    }


def _hh_conductance(v, states, params, ions, ctx, out):
    return {"ina": out["gna"], "ik": out["gk"], "il": params["gl"]}


hh = DensityMechanism(
    name="hh",
    parameters={"gnabar": 0.12, "gkbar": 0.036, "gl": 0.0003, "el": -54.3},
    states=("m", "h", "n"),
    assigned=("gna", "gk"),
    ions=(IonUse("na", read=("ena",), write=("ina",)), IonUse("k", read=("ek",), write=("ik",))),
    nonspecific=("il",),
    globals={"usetable": 1.0},
    rates=_hh_rates,
    current=_hh_current,
    conductance=_hh_conductance,
    units={"gnabar": "S/cm2", "gkbar": "S/cm2", "gl": "S/cm2", "el": "mV", "gna": "S/cm2", "gk": "S/cm2"},
)


# --------------------------------------------------------------------------- IClamp
def _iclamp_current(v, states, params, ions, ctx):
    t = ctx.t_phase
    on = (t >= params["delay"]) & (t < params["delay"] + params["dur"])
    return {"i": np.where(on, params["amp"], 0.0)}


IClamp_spec = PointProcess(
    name="IClamp",
    parameters={"delay": 0.0, "dur": 0.0, "amp": 0.0},
    nonspecific=("i",),
    electrode=True,
    current=_iclamp_current,
    conductance=lambda v, states, params, ions, ctx, out: {},  # i does not depend on v
    discontinuities=lambda p: np.concatenate([p["delay"], p["delay"] + p["dur"]]),
    aliases={"del": "delay"},
    units={"delay": "ms", "dur": "ms", "amp": "nA", "i": "nA"},
)


# --------------------------------------------------------------------------- SEClamp
def _seclamp_current(v, states, params, ions, ctx):
    t = ctx.t_phase
    tc2 = params["dur1"] + params["dur2"]
    tc3 = tc2 + params["dur3"]
    vc = np.select(
        [t < params["dur1"], t < tc2, t < tc3], [params["amp1"], params["amp2"], params["amp3"]], default=0.0
    )
    on = t < tc3
    return {"i": np.where(on, (vc - v) / params["rs"], 0.0), "vc": vc}


SEClamp_spec = PointProcess(
    name="SEClamp",
    parameters={"rs": 1.0, "dur1": 0.0, "amp1": 0.0, "dur2": 0.0, "amp2": 0.0, "dur3": 0.0, "amp3": 0.0},
    nonspecific=("i",),
    assigned=("vc",),
    electrode=True,
    current=_seclamp_current,
    discontinuities=lambda p: np.concatenate([p["dur1"], p["dur1"] + p["dur2"], p["dur1"] + p["dur2"] + p["dur3"]]),
    units={"rs": "MOhm", "dur1": "ms", "amp1": "mV", "i": "nA", "vc": "mV"},
)

# --------------------------------------------------------------------------- ExpSyn
def _expsyn_current(v, states, params, ions, ctx):
    g = states["g"]
    return {"i": g * (v - params["e"])}


def _expsyn_receive(obj, weights, flag, t):
    obj.g += weights[0]


ExpSyn_spec = PointProcess(
    name="ExpSyn",
    parameters={"tau": 0.1, "e": 0.0},
    states=("g",),
    nonspecific=("i",),
    rates=lambda v, s, p, ions, ctx: {"g": (0.0 * v, p["tau"] + 0.0 * v)},
    current=_expsyn_current,
    conductance=lambda v, s, p, ions, ctx, out: {"i": s["g"]},
    net_receive=_expsyn_receive,
    units={"tau": "ms", "e": "mV", "g": "uS", "i": "nA"},
)


# --------------------------------------------------------------------------- Exp2Syn
def _exp2syn_initial(v, params, ions, ctx):
    tau1, tau2 = params["tau1"], params["tau2"]
    tau1 = np.where(tau1 / tau2 > 0.9999, 0.9999 * tau2, tau1)
    tau1 = np.where(tau1 / tau2 < 1e-9, tau2 * 1e-9, tau1)
    tp = (tau1 * tau2) / (tau2 - tau1) * np.log(tau2 / tau1)
    factor = 1.0 / (-np.exp(-tp / tau1) + np.exp(-tp / tau2))
    return {"A": 0.0, "B": 0.0, "factor": factor, "tau1": tau1}


def _exp2syn_current(v, states, params, ions, ctx):
    g = states["B"] - states["A"]
    return {"i": g * (v - params["e"]), "g": g}


def _exp2syn_receive(obj, weights, flag, t):
    w = weights[0] * obj.factor
    obj.A += w
    obj.B += w


Exp2Syn_spec = PointProcess(
    name="Exp2Syn",
    parameters={"tau1": 0.1, "tau2": 10.0, "e": 0.0},
    states=("A", "B"),
    assigned=("factor", "g"),
    nonspecific=("i",),
    rates=lambda v, s, p, ions, ctx: {"A": (0.0 * v, p["tau1"] + 0.0 * v), "B": (0.0 * v, p["tau2"] + 0.0 * v)},
    initial=_exp2syn_initial,
    current=_exp2syn_current,
    conductance=lambda v, s, p, ions, ctx, out: {"i": out["g"]},
    net_receive=_exp2syn_receive,
    units={"tau1": "ms", "tau2": "ms", "e": "mV", "g": "uS", "i": "nA"},
)

BUILTIN = {m.name: m for m in (pas, hh, IClamp_spec, SEClamp_spec, ExpSyn_spec, Exp2Syn_spec)}
