"""Species, states and parameters (NEURON's ``rxd.Species``, ``State``, ``Parameter``)."""

import itertools

import numpy as np
import sympy

from ._errors import RxdError
from ._expr import as_expr
from ._region import Region

__all__ = ["Species", "State", "Parameter", "SpeciesOnRegion"]

_names = itertools.count()


def _regions(owner, regions):
    if isinstance(regions, Region):
        regions = [regions]
    if regions is None:
        raise RxdError(f"{owner}: no regions given; pass the Region(s) it lives in, e.g. Species(cyt, ...)")
    try:
        regions = list(regions)
    except TypeError as err:
        raise RxdError(f"{owner}: regions must be a Region or a list of Regions, got {regions!r}") from err
    if not regions:
        raise RxdError(f"{owner}: the list of regions is empty; a species must live in at least one region")
    for r in regions:
        if not isinstance(r, Region):
            raise RxdError(f"{owner}: regions must be Regions, got {r!r}")
    if len({id(r.sim) for r in regions}) != 1:
        raise RxdError(f"{owner}: all regions must belong to the same simulation")
    return regions


class _Arith:
    """Arithmetic and reaction-scheme operators for objects that are expression atoms."""

    __array_priority__ = 1000

    def __add__(self, o):
        return as_expr(self) + o

    def __radd__(self, o):
        return o + as_expr(self)

    def __sub__(self, o):
        return as_expr(self) - o

    def __rsub__(self, o):
        return as_expr(o) - as_expr(self)

    def __mul__(self, o):
        return as_expr(self) * o

    def __rmul__(self, o):
        return as_expr(o) * as_expr(self)

    def __truediv__(self, o):
        return as_expr(self) / o

    def __rtruediv__(self, o):
        return as_expr(o) / as_expr(self)

    def __pow__(self, o):
        return as_expr(self) ** o

    def __neg__(self):
        return -as_expr(self)

    def __gt__(self, o):
        return as_expr(self) > o

    def __lt__(self, o):
        return as_expr(self) < o

    def __ne__(self, o):
        return as_expr(self) != o

    def __eq__(self, o):
        return self is o

    __hash__ = object.__hash__


class Species(_Arith):
    """A diffusing chemical species (NEURON's ``rxd.Species``).

    Parameters
    ----------
    regions : Region or list of Region
    d : float [um2/ms]
        Diffusion coefficient (>= 0).
    name : str, optional
        A name that matches an ion (``"ca"``, ``"na"``, ``"k"``) couples the species to
        that ion in regions with ``nrn_region``.
    charge : int
        Valence.
    initial : float [mM] or callable(node) -> float, optional
        Initial concentration; default: the ion's default concentration for an ion
        species in a region with nrn_region, else 0.
    atolscale : float
        Scale of the variable-step absolute tolerance for this species.
    """

    _kind = "species"

    def __init__(self, regions=None, d=0, name=None, charge=0, initial=None, atolscale=1, ecs_boundary_conditions=None):
        label = name if name is not None else "Species"
        self.regions = _regions(f"Species {label!r}", regions)
        try:
            d = float(d)
        except (TypeError, ValueError) as err:
            raise RxdError(f"Species {label!r}: d must be a number [um2/ms], got {d!r}") from err
        if not np.isfinite(d) or d < 0:
            raise RxdError(f"Species {label!r}: the diffusion coefficient d must be >= 0 and finite [um2/ms], got {d}")
        self.d = d
        self.name = name if name is not None else f"species{next(_names)}"
        if not isinstance(charge, (int, np.integer)) or isinstance(charge, bool):
            raise RxdError(f"Species {self.name!r}: charge must be an integer, got {charge!r}")
        self.charge = int(charge)
        if initial is not None and not callable(initial):
            try:
                initial = float(initial)
            except (TypeError, ValueError) as err:
                raise RxdError(f"Species {self.name!r}: initial must be a number or a function of a node, got {initial!r}") from err
            if not np.isfinite(initial):
                raise RxdError(f"Species {self.name!r}: initial must be finite, got {initial}")
        self.initial = initial
        if not atolscale > 0:
            raise RxdError(f"Species {self.name!r}: atolscale must be positive, got {atolscale!r}")
        self.atolscale = float(atolscale)
        self._symbol = sympy.Symbol(self.name)
        self._on = {id(r): SpeciesOnRegion(self, r) for r in self.regions}
        from ._system import system_for

        self.sim = self.regions[0].sim
        system_for(self.sim).add_species(self)

    def __repr__(self):
        return f"{type(self).__name__}({self.name})"

    def __getitem__(self, region):
        try:
            return self._on[id(region)]
        except KeyError:
            raise RxdError(
                f"{self!r} does not live in {region!r}; its regions are {[r.name for r in self.regions]}"
            ) from None

    def defined_on_region(self, region):
        return id(region) in self._on

    @property
    def nodes(self):
        """All nodes of the species, region by region (a :class:`NodeList`)."""
        from ._nodes import NodeList

        return NodeList([n for sor in self._on.values() for n in sor.nodes])

    def re_init(self):
        """Set every node back to its initial value."""
        from ._system import system_for

        system_for(self.sim).initialize_species(self)


class State(Species):
    """A species that does not diffuse (NEURON's ``rxd.State``), e.g. a gate."""

    _kind = "state"

    def __init__(self, regions=None, d=0, name=None, charge=0, initial=None, atolscale=1):
        if d not in (0, 0.0):
            raise RxdError(f"State {name!r} does not diffuse; use Species for d = {d}")
        super().__init__(regions, d=0, name=name, charge=charge, initial=initial, atolscale=atolscale)


class Parameter(Species):
    """A per-node value that is not integrated (NEURON's ``rxd.Parameter``).

    Parameters
    ----------
    regions : Region or list of Region
    value, initial : float or callable(node) -> float
        The value (either keyword; ``value`` wins).
    name : str, optional
    """

    _kind = "parameter"

    def __init__(self, regions=None, name=None, charge=0, value=None, initial=None):
        v = value if value is not None else initial
        super().__init__(regions, d=0, name=name, charge=charge, initial=0.0 if v is None else v)


class SpeciesOnRegion(_Arith):
    """``species[region]``: the species in one region."""

    def __init__(self, species, region):
        self.species = species
        self.region = region
        self._symbol = sympy.Symbol(f"{species.name}[{region.name}]")

    def __repr__(self):
        return f"{self.species.name}[{self.region.name}]"

    @property
    def nodes(self):
        """The nodes of the species in this region (a :class:`NodeList`)."""
        from ._system import system_for

        return system_for(self.species.sim).nodes_of(self)

    @property
    def concentration(self):
        """ndarray [mM]: the values of all nodes (a copy)."""
        return self.nodes.concentration

    @concentration.setter
    def concentration(self, value):
        self.nodes.concentration = value

    @property
    def value(self):
        return self.concentration

    @value.setter
    def value(self, v):
        self.concentration = v
