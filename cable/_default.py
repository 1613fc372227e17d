"""The one default simulation used by the NEURON-style facade and by objects created
without ``sim=``. Library code never reaches it: it takes a simulation explicitly."""

import functools

__all__ = ["default_simulation"]


@functools.lru_cache(maxsize=1)
def default_simulation():
    """The default :class:`Simulation` (created on first use)."""
    from ._simulation import Simulation

    return Simulation()
