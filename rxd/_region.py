"""Regions: where species live (NEURON's ``rxd.Region``), and the choice between 1D
(one node per segment) and 3D (one node per voxel) for them."""

import numpy as np

from ._errors import RxdError
from ._geometry import Geometry, inside

__all__ = ["Region", "set_solve_type"]

#: Voxel edge [um] of a 3D region when none is given (NEURON's default).
DEFAULT_DX = 0.25


class Region:
    """A set of sections with a geometry (NEURON's ``rxd.Region``).

    Parameters
    ----------
    secs : Section or sequence of Section
        The sections the region covers (one node per segment in 1D).
    nrn_region : {None, 'i', 'o'}
        'i' (or 'o'): a species named after an ion in this region is that ion's inside
        (outside) concentration on these segments.
    geometry : Geometry, optional
        ``rxd.inside`` (default), ``rxd.membrane``, ``FractionalVolume(...)``,
        ``ScalableBorder(...)``, ``Shell(...)``, ``FixedCrossSection(...)``,
        ``FixedPerimeter(...)``.
    name : str, optional
    dimension : {None, 1, 3}, optional
        1: one node per segment; 3: one node per voxel of edge ``dx`` (see
        ``docs/rxd3d.md``). None (default): as :func:`set_solve_type` chose for each of
        the region's sections, else 1; a region whose sections differ is hybrid (3D
        voxels on some sections, 1D nodes on the others, joined where they meet).
    dx : float [um], optional
        Voxel edge of a 3D region (default 0.25 um, as NEURON).

    Examples
    --------
    >>> import rxd
    >>> from cable import Simulation
    >>> sim = Simulation()
    >>> dend = sim.Section("dend", L=10, diam=2)
    >>> cyt = rxd.Region([dend], nrn_region="i", dimension=3, dx=0.5)
    >>> cyt.dimension, cyt.dx
    (3, 0.5)
    """

    def __init__(self, secs, nrn_region=None, geometry=None, dimension=None, dx=None, name=None):
        from cable import Section

        if isinstance(secs, Section):
            secs = [secs]
        try:
            secs = list(secs)
        except TypeError as err:
            raise RxdError(f"Region: secs must be a Section or a list of Sections, got {secs!r}") from err
        bad = [s for s in secs if not isinstance(s, Section)]
        if bad:
            raise RxdError(f"Region: secs must be Sections, got {bad[0]!r}")
        if not secs:
            raise RxdError(
                f"Region {name or ''!r} has no sections; pass the sections it covers, e.g. Region([dend])"
            )
        sims = {id(s.sim) for s in secs}
        if len(sims) != 1:
            raise RxdError("Region: all sections must belong to the same simulation")
        # keep each section once, in the given order
        seen, unique = set(), []
        for s in secs:
            if id(s) not in seen:
                seen.add(id(s))
                unique.append(s)
        self.secs = unique
        if nrn_region not in (None, "i", "o"):
            raise RxdError(f"Region: nrn_region must be None, 'i' or 'o', got {nrn_region!r}")
        self.nrn_region = nrn_region
        geometry = inside if geometry is None else geometry
        if not isinstance(geometry, Geometry):
            raise RxdError(f"Region: geometry must be an rxd geometry such as rxd.inside, got {geometry!r}")
        self.geometry = geometry
        if dimension not in (None, 1, 3):
            raise RxdError(f"Region: dimension must be None, 1 or 3, got {dimension!r}")
        self._dimension = dimension
        if dx is not None:
            try:
                dx = float(dx)
            except (TypeError, ValueError) as err:
                raise RxdError(f"Region: dx must be a number [um], got {dx!r}") from err
            if not (np.isfinite(dx) and dx > 0):
                raise RxdError(f"Region: dx must be positive and finite [um], got {dx!r}")
        self._dx = dx
        self.name = name if name is not None else f"region{id(self) % 10000}"
        self.sim = secs[0].sim

    @property
    def dimension(self):
        """int: 1 or 3. Set by ``Region(..., dimension=...)``, else by
        :func:`set_solve_type` on the region's sections (all of them alike), else 1.

        Raises
        ------
        RxdError
            For a hybrid region (:attr:`is_hybrid`: some sections 3D, others 1D), which has
            no single dimension.
        """
        dims = set(self._section_dims())
        if len(dims) > 1:
            raise RxdError(
                f"{self!r} is hybrid (3D on {[s.name for s in self.secs3d][:3]}, 1D on "
                f"{[s.name for s in self.secs1d][:3]}) and has no single dimension: read "
                "region.is_hybrid, region.secs3d and region.secs1d instead"
            )
        return dims.pop()

    def _section_dims(self):
        """The dimension of each section (explicit ``dimension``, else set_solve_type's)."""
        if self._dimension is not None:
            return [self._dimension] * len(self.secs)
        from ._system import system_for

        chosen = system_for(self.sim).solve_type
        return [chosen.get(s, chosen.get(None, 1)) for s in self.secs]

    @property
    def is_hybrid(self):
        """bool: some sections 3D (voxels) and others 1D (segments), as
        ``set_solve_type(some_sections, dimension=3)`` makes them (see ``docs/rxd3d.md``).

        Examples
        --------
        >>> import rxd
        >>> from cable import Simulation
        >>> sim = Simulation()
        >>> soma, dend = sim.Section("soma", L=10, diam=10), sim.Section("dend", L=50, diam=1)
        >>> _ = dend.connect(soma(1))
        >>> rxd.set_solve_type([soma], dimension=3)
        >>> cyt = rxd.Region([soma, dend])
        >>> cyt.is_hybrid, [s.name for s in cyt.secs3d], [s.name for s in cyt.secs1d]
        (True, ['soma'], ['dend'])
        """
        return len(set(self._section_dims())) > 1

    @property
    def secs3d(self):
        """list of Section: the sections on which the region is 3D."""
        return [s for s, d in zip(self.secs, self._section_dims()) if d == 3]

    @property
    def secs1d(self):
        """list of Section: the sections on which the region is 1D."""
        return [s for s, d in zip(self.secs, self._section_dims()) if d == 1]

    @property
    def dx(self):
        """float [um] or None: the voxel edge of the region's 3D sections (default 0.25);
        None when it has none."""
        if self._dx is not None:
            return self._dx
        return DEFAULT_DX if 3 in self._section_dims() else None

    @property
    def is_border(self):
        """True for a membrane (a border with an area but no volume)."""
        return self.geometry.is_border

    def __repr__(self):
        return f"Region({self.name})"


def set_solve_type(domain=None, dimension=None, *, method=None, sim=None):
    """Make regions on some sections (or all) 1D or 3D (NEURON's ``rxd.set_solve_type``).

    The choice is kept by the simulation's rxd system (not module-global) and applies to
    every region on those sections that was not given ``dimension`` explicitly, whether
    created before or after this call. A region with sections of both kinds is hybrid
    (NEURON's behaviour): voxels on its 3D sections, one node per segment on the others,
    joined at the section ends where a 1D section meets a 3D one (``docs/rxd3d.md``).

    Parameters
    ----------
    domain : Section or iterable of Section, optional
        The sections; None: every section of the simulation.
    dimension : {1, 3}, optional
    method : {"auto", "adi", "cg"}, optional
        How the fixed step solves 3D diffusion, for the whole simulation, from the next
        step on (see ``docs/rxd3d.md``): "adi" factors it along the axes (cost independent
        of dt; a splitting error where lines end at the boundary, unstable for very long
        steps); "cg" solves it by conjugate gradients (exact to 1e-6); "auto" (default)
        uses "adi" for steps up to gamma dt 6 D / dx^2 = 12, else "cg".
    sim : Simulation, optional
        With ``domain=None``: the simulation (default: the default simulation).

    Raises
    ------
    RxdError
        A dimension other than 1 or 3, an unknown method, or sections of different
        simulations.

    Examples
    --------
    >>> import rxd
    >>> from cable import Simulation
    >>> sim = Simulation()
    >>> soma = sim.Section("soma", L=10, diam=10)
    >>> rxd.set_solve_type([soma], dimension=3)
    >>> rxd.Region([soma]).dimension
    3
    """
    from cable import Section

    from ._linsolve3d import METHODS
    from ._system import system_for

    if dimension not in (None, 1, 3):
        raise RxdError(f"set_solve_type: dimension must be 1 or 3, got {dimension!r}")
    if method is not None and method not in METHODS:
        raise RxdError(f"set_solve_type: method must be one of {METHODS}, got {method!r}")
    if dimension is None and method is None:
        raise RxdError("set_solve_type: give dimension=1 or 3 (and/or method='auto', 'adi' or 'cg')")
    if domain is None:
        if sim is None:
            from cable import default_simulation

            sim = default_simulation()
        secs = None
    else:
        secs = [domain] if isinstance(domain, Section) else list(domain)
        bad = [s for s in secs if not isinstance(s, Section)]
        if bad:
            raise RxdError(f"set_solve_type: domain must be a Section or Sections, got {bad[0]!r}")
        if not secs:
            return
        sims = {id(s.sim) for s in secs}
        if len(sims) != 1 or (sim is not None and id(sim) not in sims):
            raise RxdError("set_solve_type: all sections must belong to one simulation (the one given)")
        sim = secs[0].sim
    system = system_for(sim)
    if method is not None:
        system.method3d = method  # takes effect at the next step
    if dimension is not None:
        if secs is None:
            system.solve_type.clear()
            system.solve_type[None] = dimension
        else:
            for s in secs:
                system.solve_type[s] = dimension
        sim._structure_changed()
