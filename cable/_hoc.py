"""A NEURON-style facade: ``from cable import h`` runs NEURON scripts with their import
line changed. It forwards to one :class:`Simulation` (the default one for ``cable.h``)."""

from ._errors import CableError
from ._record import Ref, Vector

__all__ = ["HocFacade"]

_FORWARDED = ("t", "dt", "celsius", "secondorder")


class HocFacade:
    """NEURON's ``h`` for one simulation.

    Parameters
    ----------
    sim : Simulation
    """

    def __init__(self, sim):
        object.__setattr__(self, "_sim", sim)
        object.__setattr__(self, "tstop", 5.0)
        object.__setattr__(self, "v_init", -65.0)

    # -- objects -----------------------------------------------------------------------
    def Section(self, name=None, cell=None, **kwargs):
        return self._sim.Section(name, **kwargs)

    def IClamp(self, seg):
        return self._sim.IClamp(seg)

    def SEClamp(self, seg):
        return self._sim.SEClamp(seg)

    def ExpSyn(self, seg):
        return self._sim.ExpSyn(seg)

    def Exp2Syn(self, seg):
        return self._sim.Exp2Syn(seg)

    def NetStim(self, *args):
        return self._sim.NetStim()

    def IntFire1(self, *args):
        return self._sim.IntFire1()

    def NetCon(self, source, target=None, *args, sec=None):
        return self._sim.NetCon(source, target, *args, sec=sec)

    Vector = Vector

    @property
    def cvode(self):
        return self._sim.cvode

    def CVode(self):
        return self._sim.cvode

    @property
    def _ref_t(self):
        return Ref(self._sim, "t")

    # -- running ---------------------------------------------------------------------
    def finitialize(self, v_init=None):
        self._sim.finitialize(self.v_init if v_init is None else v_init)
        return 1

    def stdinit(self):
        return self.finitialize()

    def fadvance(self):
        self._sim.fadvance()
        return 1

    def continuerun(self, tstop):
        self._sim.continuerun(tstop)

    def run(self, tstop=None):
        """NEURON's stdrun ``run()``: initialize at ``v_init`` and run to ``tstop``."""
        if tstop is not None:
            object.__setattr__(self, "tstop", float(tstop))
        self.finitialize()
        self._sim.continuerun(self.tstop)

    def load_file(self, *names):
        """Accepted for compatibility (``stdrun.hoc`` is built in); returns 1."""
        return 1

    def nrn_load_dll(self, *args):
        raise CableError("compiled NEURON mechanisms cannot be loaded; use the Python mechanism API")

    # -- inspection ------------------------------------------------------------------
    def allsec(self):
        return iter(self._sim.allsec())

    def psection(self, sec=None):
        sec = sec if sec is not None else self._sim.sections[-1]
        d = sec.psection()
        print(f"{d['name']} {{ nseg={d['morphology']['nseg']} L={d['morphology']['L']:g} Ra={d['Ra']:g}")
        if d["parent"]:
            print(f"  connected to {d['parent']}")
        for mech, params in d["density_mechs"].items():
            vals = " ".join(f"{p}={v[0]:g}" for p, v in params.items())
            print(f"  insert {mech} {{ {vals} }}")
        print("}")
        return 1

    def topology(self):
        for sec in self._sim.allsec():
            parent = "" if sec.parent is None else f" connected to {sec.parent[0].name}({sec.parent[1]:g})"
            print(f"|{'-' * sec.nseg}|  {sec.name}({sec.nseg} segments){parent}")
        return 1

    # -- scalars and mechanism globals -----------------------------------------------
    def __getattr__(self, name):
        sim = object.__getattribute__(self, "_sim")
        if name in _FORWARDED:
            return getattr(sim, name)
        if name in sim.loaded_classes:  # h.ExpSynMod(seg), h.IntFire1Mod() from load_mechanisms
            return sim.loaded_classes[name]
        glob = _global_key(sim, name)
        if glob is not None:
            return sim.mech_globals[glob[0]][glob[1]]
        raise AttributeError(f"h has no attribute {name!r}")

    def __setattr__(self, name, value):
        sim = self._sim
        if name in _FORWARDED:
            setattr(sim, name, value)
        elif name in ("tstop", "v_init"):
            object.__setattr__(self, name, float(value))
        else:
            glob = _global_key(sim, name)
            if glob is None:
                raise AttributeError(f"cannot set h.{name}: no such variable")
            sim.mech_globals[glob[0]][glob[1]] = float(value)


def _global_key(sim, name):
    """``usetable_hh`` -> ("hh", "usetable")."""
    for mech, values in sim.mech_globals.items():
        suffix = "_" + mech
        if name.endswith(suffix) and name[: -len(suffix)] in values:
            return mech, name[: -len(suffix)]
    return None
