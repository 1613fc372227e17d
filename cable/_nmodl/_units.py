"""Named constants of an NMODL ``UNITS`` block, with NEURON 9's (2019 SI) values.

``FARADAY = (faraday) (coulomb)`` is the constant ``faraday`` expressed in coulombs. Only
the scale of a unit is computed (dimensions are read, not checked), from the SI defining
constants, as NEURON's unit library does: faraday = e N_A, R = k N_A (``k-mole``).
"""

import math
import re

from .._units import AVOGADRO

__all__ = ["unit_scale", "UnitError", "ELEMENTARY_CHARGE", "BOLTZMANN", "FARADAY_NRN", "GAS_CONSTANT_NRN"]

#: Elementary charge [C] (2019 SI, exact).
ELEMENTARY_CHARGE = 1.602176634e-19
#: Boltzmann constant [J/K] (2019 SI, exact).
BOLTZMANN = 1.380649e-23
#: NEURON 9's ``(faraday) (coulomb)``: e N_A = 96485.33212331001 C/mol.
FARADAY_NRN = ELEMENTARY_CHARGE * AVOGADRO
#: NEURON 9's ``(k-mole) (joule/degC)``: k N_A = 8.31446261815324 J/(mol K).
GAS_CONSTANT_NRN = BOLTZMANN * AVOGADRO

# Scale of each known unit or constant in SI (dimensions are not tracked).
_BASE = {
    "1": 1.0,
    "faraday": FARADAY_NRN,
    "e": ELEMENTARY_CHARGE,
    "k": BOLTZMANN,
    "mole": AVOGADRO,
    "avogadro": AVOGADRO,
    "pi": math.pi,
    "coulomb": 1.0,
    "coul": 1.0,
    "C": 1.0,
    "joule": 1.0,
    "J": 1.0,
    "degC": 1.0,
    "degK": 1.0,
    "kelvin": 1.0,
    "K": 1.0,
    "volt": 1.0,
    "V": 1.0,
    "ampere": 1.0,
    "amp": 1.0,
    "A": 1.0,
    "ohm": 1.0,
    "siemens": 1.0,
    "S": 1.0,
    "mho": 1.0,
    "meter": 1.0,
    "m": 1.0,
    "liter": 1e-3,
    "l": 1e-3,
    "L": 1e-3,
    "M": 1.0,  # molar (mol/l in SI would be 1e3; only ratios of like units are meaningful here)
    "second": 1.0,
    "sec": 1.0,
    "s": 1.0,
    "gram": 1e-3,
    "g": 1e-3,
    "farad": 1.0,
    "F": 1.0,
    "watt": 1.0,
    "W": 1.0,
}
_PREFIX = {
    "pico": 1e-12,
    "nano": 1e-9,
    "micro": 1e-6,
    "milli": 1e-3,
    "centi": 1e-2,
    "deci": 1e-1,
    "kilo": 1e3,
    "mega": 1e6,
    "p": 1e-12,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "c": 1e-2,
    "d": 1e-1,
    "k": 1e3,
    "M": 1e6,
}
_FACTOR = re.compile(r"([A-Za-z_]+|\d+\.?\d*(?:[eE][+-]?\d+)?)(\d*)$")


class UnitError(ValueError):
    """A unit expression with a name this module does not know."""


def unit_scale(text):
    """Scale of a unit expression in SI, e.g. ``"kilocoulombs"`` -> 1000.

    Parameters
    ----------
    text : str
        As written inside the parentheses: factors separated by spaces or ``-``
        (products), ``/`` dividing by everything after it, trailing digits as powers
        (``cm2``), plain numbers as factors (``10000 coulomb``).

    Returns
    -------
    float

    Raises
    ------
    UnitError
        For a name that is neither a known unit nor a prefixed one.

    Examples
    --------
    >>> unit_scale("faraday") / unit_scale("kilocoulombs")
    96.48533212331002
    >>> round(unit_scale("k-mole") / unit_scale("joule/degC"), 8)
    8.31446262
    """
    text = text.strip()
    if text == "k-mole":  # Boltzmann times Avogadro, as one product (exact R)
        return GAS_CONSTANT_NRN
    num, _, den = text.partition("/")
    scale = _product(num) if num.strip() else 1.0
    if den:
        scale /= _product(den.replace("/", " "))
    return scale


def _product(text):
    value = 1.0
    for factor in re.split(r"[\s\-*]+", text.strip()):
        if factor:
            value *= _factor(factor)
    return value


def _factor(word):
    m = _FACTOR.match(word)
    if m is None:
        raise UnitError(f"cannot read the unit {word!r}")
    base, power = m.group(1), m.group(2)
    if base[0].isdigit():
        value = float(base)
    else:
        value = _named(base)
    return value ** int(power) if power else value


def _named(name):
    if name in _BASE:
        return _BASE[name]
    singular = name[:-1] if name.endswith("s") else None
    for candidate in (name, singular):
        if candidate is None:
            continue
        for prefix, scale in _PREFIX.items():
            rest = candidate[len(prefix) :]
            if candidate.startswith(prefix) and rest in _BASE:
                return scale * _BASE[rest]
        if candidate in _BASE:
            return _BASE[candidate]
    raise UnitError(f"unknown unit {name!r}")
