"""Reaction-diffusion in neurons with NEURON's rxd vocabulary, compiled by sympy.

Species, states and parameters live in regions on the cable simulator's sections; the
reactions are compiled into vectorized numpy functions and a sparse Jacobian, and
integrated with the cable in one state vector (fixed step or CVODE).
"""

from . import rxdmath
from ._equations import equations, jacobian_sparsity, re_init
from ._errors import RxdError
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
from ._region import Region
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
    "equations",
    "inside",
    "jacobian_sparsity",
    "membrane",
    "rxdmath",
]
