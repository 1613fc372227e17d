"""Ions: NEURON's default concentrations and reversal potentials, and the per-node ion arrays.

The defaults are NEURON's (``nai0_na_ion`` and friends). A reversal potential stays at its
default unless the ion's inside or outside concentration is dynamic (written by a
mechanism or by rxd); then it follows the Nernst equation at ``celsius`` on every
evaluation, as NEURON's ion_style rules do.
"""

from dataclasses import dataclass

import numpy as np

from ._units import nernst_mV

__all__ = ["IonSpec", "DEFAULT_IONS", "IonArrays", "ion_variable", "ion_spec"]


@dataclass(frozen=True)
class IonSpec:
    """Defaults of one ion.

    Attributes
    ----------
    name : str
    charge : int
    ci0, co0 : float [mM]
        Default inside and outside concentrations.
    e0 : float [mV]
        Default reversal potential.
    """

    name: str
    charge: int
    ci0: float
    co0: float
    e0: float


DEFAULT_IONS = {
    "na": IonSpec("na", 1, 10.0, 140.0, 50.0),
    "k": IonSpec("k", 1, 54.4, 2.5, -77.0),
    "ca": IonSpec("ca", 2, 5e-5, 2.0, 132.4579341637009),
}


def ion_spec(name, charge=None):
    """The defaults of ion ``name``: NEURON's for na, k, ca; for a new ion (NEURON's
    ``ion_register``) concentrations of 1 mM inside and out and e = 0 mV."""
    spec = DEFAULT_IONS.get(name)
    if spec is not None:
        return spec
    if not charge:
        raise ValueError(f"the new ion {name!r} needs a non-zero charge")
    return IonSpec(name, int(charge), 1.0, 1.0, 0.0)


def ion_variable(name, ions):
    """Split an ion variable name into ``(ion, kind)``, kind in {'e', 'i', 'ci', 'co'}.

    Returns None when ``name`` is no variable of an ion in ``ions``.

    Examples
    --------
    >>> ion_variable("ena", ["na"]), ion_variable("cai", ["ca"]), ion_variable("x", ["na"])
    (('na', 'e'), ('ca', 'ci'), None)
    """
    for ion in ions:
        if name == "e" + ion:
            return ion, "e"
        if name == "i" + ion:
            return ion, "i"
        if name == ion + "i":
            return ion, "ci"
        if name == ion + "o":
            return ion, "co"
    return None


class IonArrays:
    """Per-node arrays of one ion: ``ci``, ``co``, ``e`` [mM, mM, mV], the summed
    membrane current ``i`` [mA/cm2] and its slope ``di_dv`` [S/cm2].

    Parameters
    ----------
    spec : IonSpec
    n : int
        Number of nodes.
    """

    def __init__(self, spec, n):
        self.spec = spec
        self.ci = np.full(n, spec.ci0)
        self.co = np.full(n, spec.co0)
        self.e = np.full(n, spec.e0)
        self.i = np.zeros(n)
        self.di_dv = np.zeros(n)
        #: Nodes whose concentrations are dynamic (written by rxd): e follows Nernst there
        #: (set by :meth:`mark_dynamic`).
        self.dynamic = np.zeros(n, dtype=bool)
        self._dyn = None  # the dynamic nodes as an index (a slice when all), None if none
        #: Current induced by rxd reactions with membrane_flux [mA/cm2] (for recording;
        #: not part of ``i``, which carries the mechanisms' currents into rxd).
        self.induced = np.zeros(n)
        #: Whether di_dv is accumulated (needed by Crank-Nicolson's current correction).
        self.track_slope = True

    def initialize(self, celsius):
        """Reset concentrations to the defaults (NEURON's finitialize) and update e."""
        self.ci[:] = self.spec.ci0
        self.co[:] = self.spec.co0
        self.e[:] = self.spec.e0
        self.update_e(celsius)

    def mark_dynamic(self, nodes):
        """Concentrations at ``nodes`` are written by rxd from now on: e follows them."""
        self.dynamic[nodes] = True
        idx = np.flatnonzero(self.dynamic)
        self._dyn = slice(None) if len(idx) == len(self.dynamic) else (idx if len(idx) else None)

    def update_e(self, celsius):
        """Recompute e by Nernst where the concentrations are dynamic."""
        d = self._dyn
        if d is not None:  # an index, not the mask: this runs twice a step
            self.e[d] = nernst_mV(self.ci[d], self.co[d], self.spec.charge, celsius)

    def array(self, kind):
        if kind not in ("e", "i", "ci", "co"):
            raise KeyError(kind)
        return getattr(self, kind)
