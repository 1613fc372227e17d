"""Reactions, rates and multi-compartment reactions (NEURON's rxd classes).

These are specifications; ``rxd._compile`` turns them into sympy expressions per node
class and then into vectorized functions.
"""

from ._errors import RxdError
from ._expr import Scheme, as_expr
from ._region import Region

__all__ = ["Reaction", "Rate", "MultiCompartmentReaction"]


def _sim_of(*exprs):
    for e in exprs:
        for atom in e.atoms.values():
            sp = getattr(atom, "species", atom)
            sim = getattr(sp, "sim", None)
            if sim is not None:
                return sim
    raise RxdError("the reaction involves no species; it needs at least one")


def _scheme(args, what):
    """(scheme, kf, kb) from NEURON's call forms: (scheme, kf[, kb]) or (lhs, rhs, kf[, kb])."""
    if args and isinstance(args[0], Scheme):
        scheme, rest = args[0], args[1:]
        if not 1 <= len(rest) <= 2:
            raise RxdError(f"{what}(scheme, kf[, kb]): expected one or two rates, got {len(rest)}")
        kf = rest[0]
        kb = rest[1] if len(rest) > 1 else None
        if scheme.reversible and kb is None:
            raise RxdError(f"{what}: the reversible scheme {scheme!r} needs a backward rate kb")
        if not scheme.reversible and kb is not None:
            raise RxdError(f"{what}: the one-way scheme {scheme!r} takes no backward rate (use != for reversible)")
        return scheme, as_expr(kf), as_expr(0 if kb is None else kb)
    if len(args) in (3, 4):
        lhs, rhs, kf = as_expr(args[0]), as_expr(args[1]), args[2]
        kb = args[3] if len(args) == 4 else 0
        return Scheme(lhs, rhs, reversible=len(args) == 4), as_expr(kf), as_expr(kb)
    raise RxdError(f"{what}: expected (lhs > rhs, kf), (lhs != rhs, kf, kb) or (lhs, rhs, kf[, kb]); got {args!r}")


def _validate(reaction, changed, exprs):
    """Checks that need no discretization, done when the reaction is created so that a
    rejected reaction never reaches the simulation: no Parameter is changed, and the
    species given with a region share sections (with the membrane, for an MCR)."""
    from ._species import Parameter, SpeciesOnRegion

    for atom in changed.values():
        species = getattr(atom, "species", atom)
        if isinstance(species, Parameter):
            raise RxdError(
                f"{reaction!r}: the Parameter {species.name} cannot react or be the target of a Rate; "
                "use it in a rate expression instead"
            )
    regions = []
    for e in exprs:
        for atom in e.atoms.values():
            if isinstance(atom, SpeciesOnRegion):
                regions.append(atom.region)
    if reaction.membrane is not None:
        regions.append(reaction.membrane)
    if reaction.regions:
        regions += [r for r in reaction.regions if r is not reaction.membrane]
    if regions:
        common = {id(s) for s in regions[0].secs}
        for r in regions[1:]:
            common &= {id(s) for s in r.secs}
        if not common:
            names = ", ".join(sorted({r.name for r in regions}))
            raise RxdError(
                f"{reaction!r}: its regions ({names}) share no sections; a reaction needs all its "
                "species on the same segments"
            )


class Reaction:
    """A reaction within each compartment (NEURON's ``rxd.Reaction``).

    ``Reaction(a + b > c, kf)``, ``Reaction(a + b != c, kf, kb)`` or
    ``Reaction(a + b, c, kf, kb)``. With mass action (the default) the rate is
    ``kf * a * b - kb * c`` [mM/ms]; with ``custom_dynamics=True`` it is ``kf - kb``.

    Parameters
    ----------
    regions : Region or list of Region, optional
        Where it runs (default: every region where all its species live).
    custom_dynamics : bool
    """

    kind = "reaction"

    def __init__(self, *args, regions=None, custom_dynamics=False, mass_action=None):
        self.scheme, self.kf, self.kb = _scheme(args, "Reaction")
        if mass_action is not None:
            custom_dynamics = not mass_action
        self.custom_dynamics = bool(custom_dynamics)
        if isinstance(regions, Region):
            regions = [regions]
        self.regions = None if regions is None else list(regions)
        self.membrane = None
        self.scale_by_area = False
        self.membrane_flux = False
        self._register()

    def _register(self):
        from ._system import system_for

        self.sim = _sim_of(self.scheme.lhs, self.scheme.rhs, self.kf, self.kb)
        sides = {**self.scheme.lhs.atoms, **self.scheme.rhs.atoms}
        _validate(self, sides, [self.scheme.lhs, self.scheme.rhs, self.kf, self.kb])
        system_for(self.sim).add_reaction(self)

    def rate_expr(self):
        """The reaction rate as an Expr: mass action or custom."""
        if self.custom_dynamics:
            return self.kf - self.kb
        fwd = self.kf
        for atom, n in self.scheme.stoichiometry("lhs").items():
            fwd = fwd * as_expr(atom) ** n
        bwd = self.kb
        for atom, n in self.scheme.stoichiometry("rhs").items():
            bwd = bwd * as_expr(atom) ** n
        return fwd - bwd

    def __repr__(self):
        return f"{type(self).__name__}({self.scheme!r})"


class Rate:
    """d(species)/dt += rate (NEURON's ``rxd.Rate``).

    Parameters
    ----------
    species : Species or species[region]
    rate : expression [mM/ms] (or [1/ms] for a State such as a gate)
    regions : Region or list of Region, optional
    membrane_flux : bool
        The rate moves the species across the plasma membrane (its region has
        nrn_region 'i' or 'o'): it carries the corresponding membrane current,
        I = -z F V dc/dt (inside) [nA], so charge is conserved.
    """

    kind = "rate"

    def __init__(self, species, rate, regions=None, membrane_flux=False):
        target = as_expr(species)
        if len(target.atoms) != 1 or target.sym not in target.atoms:
            raise RxdError(f"Rate: the first argument must be a species, got {species!r}")
        self.target = next(iter(target.atoms.values()))
        self.rate = as_expr(rate)
        if isinstance(regions, Region):
            regions = [regions]
        self.membrane = None
        self.regions = None if regions is None else list(regions)
        self.membrane_flux = bool(membrane_flux)
        from ._system import system_for

        self.sim = _sim_of(target, self.rate)
        _validate(self, target.atoms, [target, self.rate])
        system_for(self.sim).add_reaction(self)

    def __repr__(self):
        return f"Rate({self.target!r}, {self.rate})"


class MultiCompartmentReaction(Reaction):
    """A reaction across a membrane between compartments (NEURON's
    ``rxd.MultiCompartmentReaction``).

    The rate is a flux density [molecules / (um2 ms)] with concentrations in mM: it
    changes a concentration by ``rate * A / (N * V)`` [mM/ms], with A the membrane's area
    at the node [um2], V the compartment's volume [um3] and N = 602214.076 molecules per
    (mM um3).

    Parameters
    ----------
    membrane : Region
        The border the reaction crosses (required).
    custom_dynamics : bool
    scale_by_area : bool
        True (default): the rate is a flux density as above; False: the rate is applied
        as a molar flux [mM um3/ms] divided by each compartment's volume.
    membrane_flux : bool
        The reaction crosses the plasma membrane: the charge its charged species move out
        of the region with nrn_region 'i' (or into the one with 'o') is a membrane
        current, I = -z F V dc/dt [nA] per node, added to the membrane's currents.
    """

    kind = "mcr"

    def __init__(self, *args, membrane=None, custom_dynamics=False, membrane_flux=False, scale_by_area=True, mass_action=None):
        self.scheme, self.kf, self.kb = _scheme(args, "MultiCompartmentReaction")
        if mass_action is not None:
            custom_dynamics = not mass_action
        self.custom_dynamics = bool(custom_dynamics)
        if membrane is None:
            raise RxdError(
                f"MultiCompartmentReaction {self.scheme!r} needs membrane=<border Region> "
                "(for example Region(secs, geometry=rxd.ScalableBorder(1)))"
            )
        if not isinstance(membrane, Region):
            raise RxdError(f"MultiCompartmentReaction: membrane must be a Region, got {membrane!r}")
        self.membrane = membrane
        self.regions = [membrane]
        self.scale_by_area = bool(scale_by_area)
        self.membrane_flux = bool(membrane_flux)
        self._register()
