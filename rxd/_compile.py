"""From reactions to vectorized functions: the compile path as named stages.

1. ``resolve``: each reaction, for each home region, becomes an *instance*: the segments
   where it runs and, for every symbol, the node of its species (or parameter) there.
2. ``node_classes``: instances over the same segments are grouped; within a class the
   right-hand side of every target species is one sympy expression.
3. ``lambdify_class``: per class, sympy differentiates each target expression by each
   state symbol it contains (only over its free symbols), and ``sympy.lambdify`` (numpy,
   common subexpressions eliminated) makes one function for the right-hand side and one
   for the Jacobian entries, each called once per evaluation over all the class's nodes.
"""

from dataclasses import dataclass, field

import numpy as np
import sympy

from ._errors import RxdError
from ._expr import as_expr

__all__ = ["Instance", "NodeClass", "resolve", "node_classes", "lambdify_class", "AVOGADRO_PER_MM_UM3"]

#: Molecules per (mM um3): N_A * 1e-18 with NEURON 9's Avogadro constant.
AVOGADRO_PER_MM_UM3 = 6.02214076e23 * 1e-18


@dataclass
class Instance:
    """One reaction on one set of segments.

    Attributes
    ----------
    key : bytes
        Identifies the segment set (equal keys: same segments in the same order).
    rate : sympy.Expr
        Over resolved symbols.
    targets : list of (sor, sympy.Expr)
        The contribution of the reaction to d(target)/dt, as coefficient * rate * scale.
    symbols : dict sympy.Symbol -> (kind, sor, node indices)
        kind is 'state', 'param' or 'const' (for 'const', the third item is the array).
    """

    key: bytes
    reaction: object
    targets: list
    symbols: dict = field(default_factory=dict)
    n: int = 0


def resolve(reaction, discret):
    """The instances of one reaction (stage 1).

    Parameters
    ----------
    reaction : Reaction, Rate or MultiCompartmentReaction
    discret : callable sor -> SorData (with ``lookup``, ``volume``, ``area``, ``kind``)
    """
    from ._species import Species

    if reaction.kind == "rate":
        exprs = [reaction.rate, as_expr(reaction.target)]
    else:
        exprs = [reaction.scheme.lhs, reaction.scheme.rhs, reaction.kf, reaction.kb]
    atoms = {}
    for e in exprs:
        atoms.update(e.atoms)
    unregioned = [a for a in atoms.values() if isinstance(a, Species)]

    if reaction.kind == "mcr":
        # a species without a region stands for its part on the membrane, or for its only region
        for sym, a in list(atoms.items()):
            if not isinstance(a, Species):
                continue
            if a.defined_on_region(reaction.membrane):
                atoms[sym] = a[reaction.membrane]
            elif len(a.regions) == 1:
                atoms[sym] = a[a.regions[0]]
            else:
                raise RxdError(
                    f"{reaction!r}: {a.name} lives in several regions; write {a.name}[region] "
                    "in a MultiCompartmentReaction"
                )
        homes = [reaction.membrane]
    elif reaction.regions is not None:
        homes = reaction.regions
    elif unregioned:
        first = unregioned[0]
        homes = [r for r in first.regions if all(a.defined_on_region(r) for a in unregioned)]
        if not homes:
            raise RxdError(f"{reaction!r}: its species {[a.name for a in unregioned]} share no region")
    else:
        homes = [None]

    instances = []
    for home in homes:
        resolved = {}
        for sym, atom in atoms.items():
            if isinstance(atom, Species):
                if home is None or not atom.defined_on_region(home):
                    raise RxdError(f"{reaction!r}: {atom.name} does not live in region {getattr(home, 'name', home)}")
                resolved[sym] = atom[home]
            else:
                resolved[sym] = atom
        found = []
        membrane = reaction.membrane if home is not None and reaction.kind == "mcr" else None
        for variant, mem in _variants(resolved, membrane, discret):
            sors = list(dict.fromkeys(variant.values()))
            if mem is not None:
                sors.append(_membrane_sor(mem, discret))
            inst = _instance(reaction, variant, sors, discret, may_skip=variant is not resolved)
            if inst is not None:
                found.append(inst)
        if not found:
            _no_common_sections(reaction, list(dict.fromkeys(resolved.values())))
        instances += found
    return instances


def _variants(resolved, membrane, discret):
    """The symbol -> species-on-region maps (and membranes) to compile: ``resolved``
    itself, or, when a region is hybrid, one map per dimension with the 1D (then the 3D)
    part of each hybrid species on a region (``rxd._hybrid``)."""
    parts = {sym: discret.parts(sor) for sym, sor in resolved.items()}
    mparts = discret.region_parts(membrane) if membrane is not None else None
    if not any(parts.values()) and mparts is None:
        yield resolved, membrane
        return
    for k in (0, 1):  # 1D, 3D
        variant = {sym: (sor if parts[sym] is None else parts[sym][k]) for sym, sor in resolved.items()}
        yield variant, (membrane if mparts is None else mparts[k])


def _no_common_sections(reaction, sors):
    names = ", ".join(sorted({repr(s) for s in sors}))
    raise RxdError(
        f"{reaction!r}: its species live on regions that share no sections ({names}); "
        "a reaction needs all its species on the same segments"
    )


class _MembraneSor:
    """Stands for the membrane region itself (its areas) in an MCR."""

    def __init__(self, region):
        self.region = region
        self.species = None

    def __repr__(self):
        return f"membrane[{self.region.name}]"


def _membrane_sor(region, discret):
    return discret.membrane(region)


def _instance(reaction, resolved, sors, discret, may_skip=False):
    """One instance over the nodes all ``sors`` share; None when they share none and
    ``may_skip`` (a part of a hybrid region whose sections the others do not cover)."""
    from ._species import Parameter

    datas = [discret(s) for s in sors]
    common = set(datas[0].lookup)
    for d in datas[1:]:
        common &= set(d.lookup)
    if not common:
        shared = set(datas[0].secs)
        for d in datas[1:]:
            shared &= set(d.secs)
        kinds = {hasattr(d, "ijk") for d in datas}
        if shared and len(kinds) > 1:  # the same sections, 1D in one region and 3D in another
            dims = ", ".join(f"{s!r} {'3D' if hasattr(d, 'ijk') else '1D'}" for s, d in zip(sors, datas))
            raise RxdError(
                f"{reaction!r}: on {sorted(x.name for x in shared)[:3]} its regions differ in "
                f"dimension ({dims}); a reaction needs its regions 1D or 3D alike on each section: "
                "give them the same rxd.set_solve_type (or the same Region(..., dimension=...))"
            )
        if not may_skip:
            _no_common_sections(reaction, sors)
        return None
    # order the instances by the first species' node order
    order = [k for k in datas[0].keys if k in common]
    key = np.array(order, dtype=np.int64).tobytes()  # (id(sec), segment) in 1D, (I, J, K) in 3D
    symbols = {}
    sub = {}
    for sym, sor in resolved.items():
        d = discret(sor)
        idx = np.array([d.lookup[k] for k in order], dtype=np.intp)
        kind = "param" if isinstance(sor.species, Parameter) else "state"
        new = sympy.Symbol(f"{sor.species.name}[{sor.region.name}]")
        sub[sym] = new
        symbols[new] = (kind, sor, idx)

    def rx(e):
        return e.sym.xreplace(sub)

    targets = []
    if reaction.kind == "rate":
        tgt = resolved[reaction.target._symbol]
        if isinstance(tgt.species, Parameter):
            raise RxdError(f"{reaction!r}: a Parameter cannot be the target of a Rate")
        targets.append((tgt, rx(reaction.rate)))
    else:
        rate = rx(reaction.rate_expr())
        for side, sign in (("lhs", -1), ("rhs", 1)):
            for atom, nu in reaction.scheme.stoichiometry(side).items():
                tsym = atom._symbol
                tgt = resolved[tsym]
                if isinstance(tgt.species, Parameter):
                    raise RxdError(f"{reaction!r}: a Parameter cannot react")
                scale = 1
                if reaction.kind == "mcr":
                    mem = datas[-1]  # the membrane's own (last of sors)
                    area = np.array([mem.area[mem.lookup[k]] for k in order])
                    vol = np.array([discret(tgt).volume[discret(tgt).lookup[k]] for k in order])
                    if np.any(vol <= 0):
                        raise RxdError(f"{reaction!r}: {tgt!r} has a compartment of zero volume; it cannot take a flux")
                    values = area / (AVOGADRO_PER_MM_UM3 * vol) if reaction.scale_by_area else 1.0 / vol
                    label = getattr(reaction, "label", "mcr")
                    ssym = sympy.Symbol(f"AoverNV_{label}[{tgt.species.name}[{tgt.region.name}]]")
                    symbols[ssym] = ("const", None, values)
                    scale = ssym
                targets.append((tgt, sign * nu * scale * rate))
    return Instance(key=key, reaction=reaction, targets=targets, symbols=symbols, n=len(order))


@dataclass
class NodeClass:
    """Reactions over one set of segments, merged (stage 2)."""

    n: int
    symbols: dict
    targets: dict  # sor -> sympy.Expr (the summed rate of change)
    rhs_fn: object = None
    jac_fn: object = None
    jac_entries: list = field(default_factory=list)  # (target sor, state symbol)
    #: the Jacobian entries depend on no state and no parameter (linear reactions):
    #: factored once per dt
    jac_constant: bool = False
    args: list = field(default_factory=list)


def node_classes(instances):
    """Group instances by segment set and sum the contributions per target (stage 2)."""
    classes = {}
    for inst in instances:
        nc = classes.get(inst.key)
        if nc is None:
            nc = classes[inst.key] = NodeClass(n=inst.n, symbols={}, targets={})
        for sym, info in inst.symbols.items():
            prev = nc.symbols.get(sym)
            if prev is not None and prev[0] != "const" and not np.array_equal(prev[2], info[2]):
                raise RxdError(f"internal: symbol {sym} maps to different nodes in one class")
            nc.symbols[sym] = info
        for tgt, expr in inst.targets:
            nc.targets[tgt] = nc.targets.get(tgt, 0) + expr
    return list(classes.values())


def lambdify_class(nc):
    """Differentiate and lambdify one node class (stage 3)."""
    syms = list(nc.symbols)
    clean = [sympy.Symbol(f"x{i}") for i in range(len(syms))]
    sub = dict(zip(syms, clean))
    tgts = list(nc.targets)
    f_exprs = [sympy.sympify(nc.targets[t]).xreplace(sub) for t in tgts]
    nc.args = syms
    nc.target_list = tgts
    nc.rhs_fn = sympy.lambdify(clean, f_exprs, modules="numpy", cse=True)
    entries, j_exprs = [], []
    for t, fe in zip(tgts, f_exprs):
        for s, c in zip(syms, clean):
            if nc.symbols[s][0] != "state" or c not in fe.free_symbols:
                continue
            d = sympy.diff(fe, c)
            if d != 0:
                entries.append((t, s))
                j_exprs.append(d)
    nc.jac_entries = entries
    varying = {c for s, c in zip(syms, clean) if nc.symbols[s][0] in ("state", "param")}
    nc.jac_constant = not any(d.free_symbols & varying for d in j_exprs)
    nc.jac_fn = sympy.lambdify(clean, j_exprs, modules="numpy", cse=True) if j_exprs else None
    return nc
