"""Region geometries in 1D: for every segment of a section, the volume of the region's
compartment, the area of its surface, and the cross-section shared with each neighbour
(for diffusion). Names and meanings are NEURON's rxd ones.

Every function works on arrays over a section's segments:
``diam`` [um] (segment diameters), ``dx`` [um] (segment length), ``volume`` and ``area``
of the full segment [um3, um2] as the cable computes them.
"""

import numpy as np

from ._errors import RxdError

__all__ = [
    "Geometry",
    "inside",
    "membrane",
    "FractionalVolume",
    "ScalableBorder",
    "Shell",
    "FixedCrossSection",
    "FixedPerimeter",
]


class Geometry:
    """Base class. ``is_border`` geometries (membranes) have an area but no volume."""

    is_border = False

    def volumes(self, diam, dx, seg_volume, seg_area):
        """Compartment volumes [um3], shape (nseg,)."""
        raise NotImplementedError

    def surface_areas(self, diam, dx, seg_volume, seg_area):
        """Surface areas [um2], shape (nseg,): the plasma membrane facing the compartment,
        or for a border, its own area."""
        raise NotImplementedError

    def cross_section(self, diam):
        """Cross-section [um2] through which the compartment diffuses, at the given diameters."""
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__


class _Inside(Geometry):
    """The whole cytosol of the section (NEURON's ``rxd.inside``)."""

    def volumes(self, diam, dx, seg_volume, seg_area):
        return np.asarray(seg_volume, dtype=float)

    def surface_areas(self, diam, dx, seg_volume, seg_area):
        return np.asarray(seg_area, dtype=float)

    def cross_section(self, diam):
        return np.pi * np.asarray(diam) ** 2 / 4.0

    def __repr__(self):
        return "inside"


class _Membrane(Geometry):
    """The plasma membrane as a border (NEURON's ``rxd.membrane``)."""

    is_border = True

    def volumes(self, diam, dx, seg_volume, seg_area):
        return np.zeros(len(diam))

    def surface_areas(self, diam, dx, seg_volume, seg_area):
        return np.asarray(seg_area, dtype=float)

    def cross_section(self, diam):
        return np.zeros(len(np.atleast_1d(diam)))

    def __repr__(self):
        return "membrane"


inside = _Inside()
membrane = _Membrane()


def _fraction(owner, name, value, upper=1.0):
    try:
        value = float(value)
    except (TypeError, ValueError) as err:
        raise RxdError(f"{owner}: {name} must be a number, got {value!r}") from err
    if not 0 <= value <= upper or not np.isfinite(value):
        raise RxdError(f"{owner}: {name} must be finite and lie in [0, {upper}], got {value!r}")
    return value


class FractionalVolume(Geometry):
    """A fraction of the cytosol, such as the ER (NEURON's ``FractionalVolume``).

    Parameters
    ----------
    volume_fraction : float
        Fraction of the segment volume [0..1].
    surface_fraction : float
        Fraction of the plasma membrane area that faces this compartment [0..1].
    neighbor_areas_fraction : float, optional
        Fraction of the cross-section available for diffusion (default: volume_fraction).
    """

    def __init__(self, volume_fraction=1, surface_fraction=0, neighbor_areas_fraction=None):
        self.volume_fraction = _fraction("FractionalVolume", "volume_fraction", volume_fraction)
        self.surface_fraction = _fraction("FractionalVolume", "surface_fraction", surface_fraction)
        naf = volume_fraction if neighbor_areas_fraction is None else neighbor_areas_fraction
        self.neighbor_areas_fraction = _fraction("FractionalVolume", "neighbor_areas_fraction", naf)

    def volumes(self, diam, dx, seg_volume, seg_area):
        return self.volume_fraction * np.asarray(seg_volume, dtype=float)

    def surface_areas(self, diam, dx, seg_volume, seg_area):
        return self.surface_fraction * np.asarray(seg_area, dtype=float)

    def cross_section(self, diam):
        return self.neighbor_areas_fraction * np.pi * np.asarray(diam) ** 2 / 4.0

    def __repr__(self):
        return (
            f"FractionalVolume({self.volume_fraction}, surface_fraction={self.surface_fraction}, "
            f"neighbor_areas_fraction={self.neighbor_areas_fraction})"
        )


class ScalableBorder(Geometry):
    """A border whose area is ``scale * diam`` [um2] per um of length (NEURON's
    ``ScalableBorder``; with diam 1 um and scale 1, 1 um2 per um).

    Parameters
    ----------
    scale : float
        Area per unit length per unit diameter [1].
    """

    is_border = True

    def __init__(self, scale=1, on_cell_surface=False):
        try:
            scale = float(scale)
        except (TypeError, ValueError) as err:
            raise RxdError(f"ScalableBorder: scale must be a number, got {scale!r}") from err
        if not scale >= 0:
            raise RxdError(f"ScalableBorder: scale must be >= 0, got {scale!r}")
        self.scale = scale
        self.on_cell_surface = bool(on_cell_surface)

    def volumes(self, diam, dx, seg_volume, seg_area):
        return np.zeros(len(diam))

    def surface_areas(self, diam, dx, seg_volume, seg_area):
        return self.scale * np.asarray(diam) * np.asarray(dx)

    def cross_section(self, diam):
        return np.zeros(len(np.atleast_1d(diam)))

    def __repr__(self):
        return f"ScalableBorder({self.scale})"


class Shell(Geometry):
    """A cylindrical shell between ``lo`` and ``hi`` times the radius (NEURON's ``Shell``).
    Inside the cell 0 <= lo < hi <= 1; an extracellular shell has 1 <= lo < hi.

    Parameters
    ----------
    lo, hi : float
        Inner and outer radius as multiples of the segment radius.
    """

    def __init__(self, lo=None, hi=None):
        if lo is None or hi is None:
            raise RxdError("Shell needs lo and hi (multiples of the radius), e.g. Shell(0.5, 1)")
        self.lo = _fraction("Shell", "lo", lo, upper=np.inf)
        self.hi = _fraction("Shell", "hi", hi, upper=np.inf)
        if not self.lo < self.hi:
            raise RxdError(f"Shell: lo must be below hi, got lo={lo}, hi={hi}")
        if self.lo < 1 < self.hi:
            raise RxdError(f"Shell({lo}, {hi}) crosses the membrane (radius 1); split it at 1")

    def volumes(self, diam, dx, seg_volume, seg_area):
        return np.pi * np.asarray(diam) ** 2 / 4.0 * (self.hi**2 - self.lo**2) * np.asarray(dx)

    def surface_areas(self, diam, dx, seg_volume, seg_area):
        # the surface facing the membrane side: the outer one inside the cell (the plasma
        # membrane when hi == 1), the inner one outside it (the membrane when lo == 1)
        r = self.hi if self.hi <= 1 else self.lo
        return np.pi * np.asarray(diam) * r * np.asarray(dx)

    def cross_section(self, diam):
        return np.pi * np.asarray(diam) ** 2 / 4.0 * (self.hi**2 - self.lo**2)

    def __repr__(self):
        return f"Shell({self.lo}, {self.hi})"


class FixedCrossSection(Geometry):
    """A compartment of fixed cross-section, whatever the diameter (NEURON's
    ``FixedCrossSection``).

    Parameters
    ----------
    cross_area : float [um2]
    surface_area : float [um2 per um of length], optional
    """

    def __init__(self, cross_area, surface_area=0):
        self.cross_area = float(cross_area)
        self.surface_area = float(surface_area)
        if not self.cross_area > 0 or self.surface_area < 0:
            raise RxdError(
                f"FixedCrossSection: cross_area must be > 0 and surface_area >= 0, got {cross_area}, {surface_area}"
            )

    def volumes(self, diam, dx, seg_volume, seg_area):
        return self.cross_area * np.asarray(dx, dtype=float)

    def surface_areas(self, diam, dx, seg_volume, seg_area):
        return self.surface_area * np.asarray(dx, dtype=float)

    def cross_section(self, diam):
        return np.full(len(np.atleast_1d(diam)), self.cross_area)

    def __repr__(self):
        return f"FixedCrossSection({self.cross_area}, surface_area={self.surface_area})"


class FixedPerimeter(Geometry):
    """A compartment of fixed perimeter: cross-section ``area`` [um2] and membrane
    perimeter ``perim`` [um] (NEURON's ``FixedPerimeter``; with on_cell_surface the
    perimeter is the plasma membrane's, pi * diam).

    Parameters
    ----------
    area : float [um2]
    perim : float [um], optional
    on_cell_surface : bool
    """

    def __init__(self, area, perim=0.0, on_cell_surface=False):
        self.area = float(area)
        self.perim = float(perim)
        self.on_cell_surface = bool(on_cell_surface)
        if not self.area > 0 or self.perim < 0:
            raise RxdError(f"FixedPerimeter: area must be > 0 and perim >= 0, got {area}, {perim}")

    def volumes(self, diam, dx, seg_volume, seg_area):
        return self.area * np.asarray(dx, dtype=float)

    def surface_areas(self, diam, dx, seg_volume, seg_area):
        if self.on_cell_surface:
            return np.asarray(seg_area, dtype=float)
        return self.perim * np.asarray(dx, dtype=float)

    def cross_section(self, diam):
        return np.full(len(np.atleast_1d(diam)), self.area)

    def __repr__(self):
        return f"FixedPerimeter({self.area}, perim={self.perim})"
