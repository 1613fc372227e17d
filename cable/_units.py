"""Physical constants and every unit conversion of the cable simulator, in one place.

Units are NEURON's: um, ms, mV, mM, mA/cm2, S/cm2, uF/cm2, ohm cm, nA, uS, nF.
The simulator works internally in absolute units per node: currents in nA,
conductances in uS, capacitances in nF (then nA / nF = mV/ms and uS * mV = nA).
"""

import numpy as np

__all__ = [
    "FARADAY",
    "GAS_CONSTANT",
    "AVOGADRO",
    "density_to_nA",
    "capacitance_nF",
    "axial_resistance_MOhm",
    "nernst_mV",
]

#: Faraday constant [C/mol] (2019 SI, as NEURON 9).
FARADAY = 96485.33212
#: Molar gas constant [J/(mol K)] (2019 SI, as NEURON 9).
GAS_CONSTANT = 8.314462618
#: Avogadro constant [1/mol] (2019 SI, as NEURON 9).
AVOGADRO = 6.02214076e23


def density_to_nA(density, area_um2):
    """Membrane current density times area as an absolute current.

    Parameters
    ----------
    density : float or ndarray [mA/cm2] (or a conductance density [S/cm2])
    area_um2 : float or ndarray [um2]

    Returns
    -------
    float or ndarray [nA] (or [uS] for a conductance density)

    Notes
    -----
    1 um2 = 1e-8 cm2 and 1 mA = 1e6 nA, so the factor is 1e-2.

    Examples
    --------
    >>> float(density_to_nA(1.0, 100.0))
    1.0
    """
    return 1e-2 * np.asarray(density) * area_um2


def capacitance_nF(cm, area_um2):
    """Capacitance of a patch of membrane.

    Parameters
    ----------
    cm : float or ndarray [uF/cm2]
    area_um2 : float or ndarray [um2]

    Returns
    -------
    float or ndarray [nF]; 1 uF/cm2 * 1 um2 = 1e-8 uF = 1e-5 nF.

    Examples
    --------
    >>> float(capacitance_nF(1.0, 1e5))
    1.0
    """
    return 1e-5 * np.asarray(cm) * area_um2


def axial_resistance_MOhm(Ra, length_per_area):
    """Axial resistance of a cable piece.

    Parameters
    ----------
    Ra : float or ndarray [ohm cm]
    length_per_area : float or ndarray [1/um]
        The integral of ds / (cross-section area) along the piece.

    Returns
    -------
    float or ndarray [MOhm]; ohm cm / um = 1e4 ohm, so the factor is 1e-2 MOhm.

    Examples
    --------
    >>> round(float(axial_resistance_MOhm(100.0, 1.0 / 3.141592653589793)), 6)
    0.31831
    """
    return 1e-2 * np.asarray(Ra) * length_per_area


def nernst_mV(c_in, c_out, charge, celsius):
    """Nernst reversal potential.

    Parameters
    ----------
    c_in, c_out : float or ndarray [mM]
    charge : int
        Valence of the ion.
    celsius : float [degC]

    Returns
    -------
    float or ndarray [mV]: 1e3 R T / (z F) ln(c_out / c_in).

    Examples
    --------
    >>> round(float(nernst_mV(10.0, 140.0, 1, 6.3)), 3)
    63.552
    """
    ktf = 1e3 * GAS_CONSTANT * (celsius + 273.15) / FARADAY
    return ktf / charge * np.log(np.asarray(c_out) / np.asarray(c_in))
