"""What each name of an NMODL file is (parameter, state, ion variable, ...), and the
declaration checks that need no statement: one mechanism kind, ions cable knows,
USEION variables that belong to their ion, RANGE and GLOBAL names that are declared,
NET_RECEIVE only where events can arrive (POINT_PROCESS, ARTIFICIAL_CELL).
"""

import math
from dataclasses import dataclass, field

from .._ions import DEFAULT_IONS
from ._lexer import ModSyntaxError
from ._units import UnitError, unit_scale

__all__ = ["MechInfo", "analyze", "ion_of_variable"]

#: Names the simulator provides.
CTX_NAMES = ("t", "dt", "celsius")
GEOMETRY_NAMES = ("area", "diam")
BUILTIN_CONSTANTS = {"PI": math.pi}


def ion_of_variable(name, ions):
    """``"ica"`` -> ``("ca", "i")`` when ``ca`` is in ``ions``; None otherwise."""
    for ion in ions:
        for kind, var in (("i", "i" + ion), ("ci", ion + "i"), ("co", ion + "o"), ("e", "e" + ion)):
            if name == var:
                return ion, kind
    return None


@dataclass
class MechInfo:
    """The classified names of one mechanism."""

    mod: object
    filename: str
    name: str
    is_point: bool
    is_artificial: bool = False
    electrode: bool = False
    ions: list = field(default_factory=list)  # (ion, read tuple, write tuple)
    range_params: dict = field(default_factory=dict)  # name -> default
    global_params: dict = field(default_factory=dict)
    states: tuple = ()
    state_start: dict = field(default_factory=dict)
    outputs: tuple = ()  # RANGE ASSIGNED (not currents, not ion variables)
    scratch: set = field(default_factory=set)  # other ASSIGNED
    currents: tuple = ()
    nonspecific: tuple = ()
    ion_reads: dict = field(default_factory=dict)  # name -> ion
    constants: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    event_vars: tuple = ()  # ASSIGNED shared with NET_RECEIVE, kept per instance as parameters

    def where(self, line):
        return f"{self.filename}:{line}"

    def error(self, line, message):
        return ModSyntaxError(f"{self.where(line)}: {message}")

    def category(self, name):
        """One of 'v', 'ctx', 'geometry', 'const', 'range', 'global', 'state', 'ion',
        'current', 'event', 'output', 'scratch', 'function', 'procedure', 'block' or None."""
        mod = self.mod
        if name == "v":
            return "v"
        if name in CTX_NAMES:
            return "ctx"
        if name in GEOMETRY_NAMES:
            return "geometry"
        if name in self.ion_reads and name not in self.currents:
            return "ion"
        if name in self.currents:
            return "current"
        if name in self.states:
            return "state"
        if name in self.range_params:
            return "range"
        if name in self.global_params:
            return "global"
        if name in self.event_vars:
            return "event"
        if name in self.outputs:
            return "output"
        if name in self.scratch:
            return "scratch"
        if name in self.constants:
            return "const"
        if name in mod.functions:
            return "function"
        if name in mod.procedures:
            return "procedure"
        if name in mod.derivatives or name in mod.kinetics:
            return "block"
        return None

    def undeclared_ion_write(self, name):
        """The ion of ``name`` when it is an ion variable this mechanism does not WRITE."""
        known = set(DEFAULT_IONS) | {ion for ion, _, _ in self.ions}
        found = ion_of_variable(name, sorted(known))
        if found is None or name in self.currents or name in self.nonspecific:
            return None
        return found[0]


def analyze(mod):
    """Classify the names of a parsed file and check its declarations.

    Parameters
    ----------
    mod : ModFile

    Returns
    -------
    MechInfo

    Raises
    ------
    ModSyntaxError
        Naming the file and line of the first problem.
    """
    fn = mod.path
    if not mod.kind:
        raise ModSyntaxError(f"{fn}:1: no SUFFIX, POINT_PROCESS or ARTIFICIAL_CELL in the NEURON block")
    if mod.kind == "ARTIFICIAL_CELL" and mod.net_receive is None:
        raise ModSyntaxError(
            f"{fn}:{mod.kind_line}: ARTIFICIAL_CELL {mod.name} needs events: it has no NET_RECEIVE block"
        )
    if mod.kind == "SUFFIX" and mod.net_receive is not None:
        raise ModSyntaxError(
            f"{fn}:{mod.net_receive.line}: NET_RECEIVE in a density mechanism (SUFFIX {mod.name}): "
            "events arrive only at a POINT_PROCESS or an ARTIFICIAL_CELL"
        )
    info = MechInfo(
        mod=mod,
        filename=fn,
        name=mod.name,
        is_point=mod.kind == "POINT_PROCESS",
        is_artificial=mod.kind == "ARTIFICIAL_CELL",
    )
    if info.is_artificial:
        _artificial_checks(mod, info)
    _constants(mod, info)
    _ions(mod, info)
    _currents(mod, info)
    declared = set(mod.parameters) | set(mod.assigned) | set(mod.states) | set(info.ion_reads) | set(info.currents)
    range_names = {n for n, _ in mod.range}
    global_names = {n for n, _ in mod.globals}
    for name, line in mod.range + mod.globals:
        if name not in declared:
            raise info.error(line, f"RANGE/GLOBAL {name!r} is not declared in PARAMETER, ASSIGNED or STATE")
        if name in range_names and name in global_names:
            raise info.error(line, f"{name!r} is both RANGE and GLOBAL")
    special = {"v", *CTX_NAMES, *GEOMETRY_NAMES}
    for name, decl in mod.parameters.items():
        if name in special or name in info.ion_reads or name in info.currents:
            continue  # simulator and ion variables: their defaults are NEURON's, not the file's
        target = info.range_params if name in range_names else info.global_params
        target[name] = 0.0 if decl.value is None else decl.value
    info.states = tuple(mod.states)
    info.state_start = {n: d.value for n, d in mod.states.items() if d.value is not None}
    outputs = []
    for name in mod.assigned:
        if name in special or name in info.ion_reads or name in info.currents or name in mod.parameters:
            continue
        if name in range_names:
            outputs.append(name)
        else:
            info.scratch.add(name)
    info.outputs = tuple(outputs)
    info.units = {
        n: d.units for table in (mod.parameters, mod.assigned, mod.states) for n, d in table.items() if d.units
    }
    return info


def _artificial_checks(mod, info):
    """An ARTIFICIAL_CELL has no membrane: no ions, no currents, nothing to integrate."""
    what = f"an ARTIFICIAL_CELL ({mod.name}) has no membrane"
    if mod.useions:
        raise info.error(mod.useions[0].line, f"USEION in {what}")
    for name, line in mod.nonspecific + mod.electrode:
        raise info.error(line, f"a current ({name}) in {what}")
    if mod.breakpoint is not None:
        raise info.error(
            mod.breakpoint.line,
            f"BREAKPOINT in an ARTIFICIAL_CELL ({mod.name}) is not supported: its state changes only at "
            "events (write the analytic solution in NET_RECEIVE, as IntFire1 does)",
        )


def _constants(mod, info):
    info.constants.update(BUILTIN_CONSTANTS)
    for name, entry in mod.units.items():
        kind, a, b, line = entry
        if kind == "value":
            info.constants[name] = a
            continue
        try:
            info.constants[name] = unit_scale(a) / unit_scale(b)
        except UnitError as err:
            raise info.error(line, f"UNITS {name} = ({a}) ({b}): {err}") from None
    for name, decl in mod.constants.items():
        if decl.value is None:
            raise info.error(decl.line, f"CONSTANT {name} has no value")
        info.constants[name] = decl.value


def _ions(mod, info):
    seen = set()
    for use in mod.useions:
        if use.ion not in DEFAULT_IONS:
            raise info.error(
                use.line, f"USEION {use.ion}: ion {use.ion!r} is not defined in cable (known: {sorted(DEFAULT_IONS)})"
            )
        if use.ion in seen:
            raise info.error(use.line, f"USEION {use.ion} appears twice")
        seen.add(use.ion)
        if use.valence is not None and use.valence != DEFAULT_IONS[use.ion].charge:
            raise info.error(
                use.line,
                f"USEION {use.ion} VALENCE {use.valence:g}: "
                f"cable's {use.ion} has charge {DEFAULT_IONS[use.ion].charge}",
            )
        for verb, names in (("READ", use.read), ("WRITE", use.write)):
            for name in names:
                found = ion_of_variable(name, [use.ion])
                if found is None:
                    raise info.error(
                        use.line,
                        f"USEION {use.ion} {verb} {name}: {name!r} is not a variable of ion {use.ion} "
                        f"(i{use.ion}, {use.ion}i, {use.ion}o or e{use.ion})",
                    )
                if verb == "WRITE" and found[1] != "i":
                    raise info.error(
                        use.line,
                        f"USEION {use.ion} WRITE {name}: writing concentrations or reversal potentials is not "
                        "supported yet (the mechanism API writes ion currents only)",
                    )
                if verb == "READ":
                    info.ion_reads[name] = use.ion
        info.ions.append((use.ion, tuple(use.read), tuple(use.write)))


def _currents(mod, info):
    currents = [w for _, _, write in info.ions for w in write]
    if mod.electrode:
        name, line = mod.electrode[0]
        if not info.is_point:
            raise info.error(line, "ELECTRODE_CURRENT in a density mechanism is not supported (only in POINT_PROCESS)")
        if mod.nonspecific or currents:
            raise info.error(line, "a point process with ELECTRODE_CURRENT cannot also have membrane currents")
        info.electrode = True
    nonspecific = [n for n, _ in mod.nonspecific] + [n for n, _ in mod.electrode]
    info.nonspecific = tuple(nonspecific)
    info.currents = tuple(currents + nonspecific)
