"""The model's equations as text or LaTeX, and the Jacobian's sparsity, for inspection."""

import sympy

from ._system import system_for

__all__ = ["equations", "jacobian_sparsity", "re_init"]


def _default_sim(sim):
    if sim is None:
        from cable import default_simulation

        sim = default_simulation()
    sim._ensure_built()
    return system_for(sim)


def equations(sim=None, *, latex=False):
    """The rate of change of every species on every region, as the compiler sees it.

    Parameters
    ----------
    sim : Simulation, optional
        Default: the default simulation.
    latex : bool
        LaTeX instead of plain text.

    Returns
    -------
    str
        One line per species on a region (and per node class when a species takes part
        in reactions over different sets of segments). ``AoverNV_<reaction>[species]``
        symbols are the per-node factors A / (N V) of multi-compartment reactions
        [1/(mM um3) * um2], and ``Laplacian`` is the 1D finite-volume diffusion operator.
    """
    system = _default_sim(sim)
    lines = []
    for sor in system.sors:
        terms = []
        d = sor.species.d
        c = sympy.Symbol(repr(sor))
        if d > 0:
            terms.append(sympy.Float(d) * sympy.Function("Laplacian")(c))
        for nc in system.classes:
            if sor in nc.targets:
                terms.append(nc.targets[sor])
        rhs = sympy.Add(*terms) if terms else sympy.Integer(0)
        lhs = sympy.Derivative(sympy.Function(repr(sor))(sympy.Symbol("t")), sympy.Symbol("t"))
        if latex:
            lines.append(f"{sympy.latex(lhs)} = {sympy.latex(rhs)}")
        else:
            lines.append(f"d{sor!r}/dt = {sympy.sstr(rhs)}")
    return "\n".join(lines)


def jacobian_sparsity(sim=None):
    """The pattern of the rxd Jacobian (CSR, ones where entries may be non-zero), with rows
    and columns in state order: each species on a region in turn, node by node."""
    system = _default_sim(sim)
    return system.pattern.copy()


def re_init(sim=None):
    """Set every species back to its initial values and restart the integrator from there
    (NEURON's ``rxd.re_init()``); time and the membrane state are left as they are."""
    system = _default_sim(sim)
    for s in system.species:
        system.initialize_species(s)
    system.sim._model.sync_ions(system.sim.celsius)
    system.sim.cvode.re_init()
