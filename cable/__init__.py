"""The 1D cable simulator: sections, segments, mechanisms, point processes, fixed and
variable time steps, recording, and a NEURON-style facade ``h``.

Native use::

    from cable import Simulation
    sim = Simulation()
    soma = sim.Section("soma", L=10, diam=10)
    soma.insert("hh")
    stim = sim.IClamp(soma(0.5), delay=50, dur=200, amp=0.1)
    v = sim.record(soma(0.5), "v")
    sim.finitialize(-65)
    sim.continuerun(300)

NEURON style: ``from cable import h`` and an existing script.
"""

from ._builtin import hh, pas
from ._default import default_simulation
from ._errors import CableError
from ._hoc import HocFacade
from ._mechanism import Context, DensityMechanism, IonUse, PointProcess
from ._artificial import IntFire1, NetStim
from ._netcon import NetCon
from ._nmodl import load_mechanisms
from ._pointproc import Exp2Syn, ExpSyn, IClamp, SEClamp
from ._record import Ref, Vector
from ._section import Section, Segment
from ._simulation import Simulation
from ._units import FARADAY, GAS_CONSTANT

__all__ = [
    "CableError",
    "Context",
    "DensityMechanism",
    "Exp2Syn",
    "ExpSyn",
    "FARADAY",
    "GAS_CONSTANT",
    "HocFacade",
    "IClamp",
    "IntFire1",
    "IonUse",
    "NetCon",
    "NetStim",
    "PointProcess",
    "Ref",
    "SEClamp",
    "Section",
    "Segment",
    "Simulation",
    "Vector",
    "default_simulation",
    "h",
    "hh",
    "load_mechanisms",
    "pas",
    "run",
]


def __getattr__(name):
    if name == "h":
        return _facade()
    raise AttributeError(f"module 'cable' has no attribute {name!r}")


def _facade():
    import functools

    @functools.lru_cache(maxsize=1)
    def make():
        return HocFacade(default_simulation())

    global _facade
    _facade = make
    return make()


def run(tstop, v_init=-65.0):
    """Initialize the default simulation and run it to ``tstop`` [ms] (``neuron.run`` style)."""
    h = _facade()
    h.tstop = tstop
    h.v_init = v_init
    h.run()
