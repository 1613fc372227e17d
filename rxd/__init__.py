"""Reaction-diffusion in neurons with NEURON's rxd vocabulary, compiled by sympy.

Species, states and parameters live in regions on the cable simulator's sections; the
reactions are compiled into vectorized numpy functions and a sparse Jacobian, and
integrated with the cable in one state vector (fixed step or CVODE). Regions are 1D (a
node per segment) or 3D (a node per voxel; ``docs/rxd3d.md``).
"""

from . import rxdmath
from ._equations import equations, jacobian_sparsity, re_init
from ._errors import RxdError
from ._grid import VoxelGrid, to_pyvista, value_to_grid
from ._geometry import (
    FixedCrossSection,
    FixedPerimeter,
    FractionalVolume,
    ScalableBorder,
    Shell,
    inside,
    membrane,
)
from ._nodes import Node, NodeList
from ._reaction import MultiCompartmentReaction, Rate, Reaction
from ._region import Region, set_solve_type
from ._species import Parameter, Species, SpeciesOnRegion, State
from ._sweep import point_seed, sweep, sweep_points
from ._wave import Fronts, WaveSpeed, wave_distance, wave_duration, wave_fronts, wave_onset, wave_speed

__all__ = [
    "Fronts",
    "WaveSpeed",
    "point_seed",
    "re_init",
    "sweep",
    "sweep_points",
    "wave_distance",
    "wave_duration",
    "wave_fronts",
    "wave_onset",
    "wave_speed",
    "FixedCrossSection",
    "FixedPerimeter",
    "FractionalVolume",
    "MultiCompartmentReaction",
    "Node",
    "NodeList",
    "Parameter",
    "Rate",
    "Reaction",
    "Region",
    "RxdError",
    "ScalableBorder",
    "Shell",
    "Species",
    "SpeciesOnRegion",
    "State",
    "VoxelGrid",
    "equations",
    "inside",
    "jacobian_sparsity",
    "membrane",
    "rxdmath",
    "set_solve_type",
    "to_pyvista",
    "value_to_grid",
]
