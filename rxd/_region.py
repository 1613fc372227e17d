"""Regions: where species live (NEURON's ``rxd.Region``)."""

from ._errors import RxdError
from ._geometry import Geometry, inside

__all__ = ["Region"]


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
    dimension : int, optional
        1 (the only one supported so far).
    dx : float [um], optional
        Voxel size for 3D (not yet supported).
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
        if dimension not in (None, 1):
            raise RxdError(f"Region: dimension {dimension!r} is not supported yet; use 1 (the default)")
        if dx is not None and not dx > 0:
            raise RxdError(f"Region: dx must be positive [um], got {dx!r}")
        self.dx = dx
        self.name = name if name is not None else f"region{id(self) % 10000}"
        self.sim = secs[0].sim

    @property
    def is_border(self):
        """True for a membrane (a border with an area but no volume)."""
        return self.geometry.is_border

    def __repr__(self):
        return f"Region({self.name})"
