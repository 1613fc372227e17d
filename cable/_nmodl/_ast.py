"""The syntax tree of an NMODL file: expressions, statements, blocks and declarations.

Every node carries the 1-based ``line`` where it starts, so that later stages can point
at the user's text.
"""

from dataclasses import dataclass, field

__all__ = [
    "Num",
    "Name",
    "Call",
    "BinOp",
    "UnaryOp",
    "Assign",
    "Prime",
    "CallStmt",
    "If",
    "Local",
    "Table",
    "Solve",
    "Reaction",
    "Conserve",
    "Compartment",
    "Block",
    "Unsupported",
    "Function",
    "UseIon",
    "Declaration",
    "ModFile",
]


# -- expressions -----------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    value: float
    line: int


@dataclass(frozen=True)
class Name:
    name: str
    line: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple
    line: int


@dataclass(frozen=True)
class BinOp:
    """``op`` in ``+ - * / ^ < > <= >= == != && ||``."""

    op: str
    left: object
    right: object
    line: int


@dataclass(frozen=True)
class UnaryOp:
    """``op`` in ``- !``."""

    op: str
    operand: object
    line: int


# -- statements ------------------------------------------------------------------------
@dataclass(frozen=True)
class Assign:
    name: str
    expr: object
    line: int


@dataclass(frozen=True)
class Prime:
    """``name' = expr``: the time derivative of a state."""

    name: str
    expr: object
    line: int


@dataclass(frozen=True)
class CallStmt:
    call: Call
    line: int


@dataclass(frozen=True)
class If:
    cond: object
    then: tuple
    orelse: tuple
    line: int


@dataclass(frozen=True)
class Local:
    names: tuple
    line: int


@dataclass(frozen=True)
class Table:
    """``TABLE names DEPEND depend FROM lo TO hi WITH n`` (names empty in a FUNCTION)."""

    names: tuple
    depend: tuple
    lo: object
    hi: object
    n: int
    line: int


@dataclass(frozen=True)
class Solve:
    """``SOLVE block METHOD method`` or ``SOLVE block STEADYSTATE method``."""

    block: str
    method: str | None
    steadystate: bool
    line: int


@dataclass(frozen=True)
class Reaction:
    """``~ lhs <-> rhs (kf, kb)`` (``kind`` '<->') or ``~ state << (flux)`` (kind '<<').

    ``lhs`` and ``rhs`` are tuples of ``(stoichiometric coefficient, state name)``.
    """

    kind: str
    lhs: tuple
    rhs: tuple
    kf: object
    kb: object
    line: int


@dataclass(frozen=True)
class Conserve:
    lhs: object
    rhs: object
    line: int


@dataclass(frozen=True)
class Compartment:
    volume: object
    names: tuple
    line: int


@dataclass(frozen=True)
class Block:
    """A nested ``{ ... }`` with its own LOCAL scope."""

    body: tuple
    line: int


@dataclass(frozen=True)
class Unsupported:
    """A construct outside the supported subset, kept to be reported where it is used."""

    what: str
    line: int


# -- blocks and declarations -------------------------------------------------------------
@dataclass(frozen=True)
class Function:
    """A PROCEDURE, FUNCTION, DERIVATIVE, KINETIC, INITIAL, BREAKPOINT or NET_RECEIVE body."""

    kind: str
    name: str
    args: tuple
    body: tuple
    line: int


@dataclass(frozen=True)
class UseIon:
    ion: str
    read: tuple
    write: tuple
    valence: float | None
    line: int


@dataclass(frozen=True)
class Declaration:
    """A PARAMETER, ASSIGNED, STATE or CONSTANT entry."""

    name: str
    value: float | None
    units: str | None
    line: int


@dataclass
class ModFile:
    """Everything an NMODL file declares, as parsed (nothing checked yet)."""

    path: str
    title: str = ""
    kind: str = ""  # SUFFIX, POINT_PROCESS or ARTIFICIAL_CELL
    name: str = ""
    kind_line: int = 0
    useions: list = field(default_factory=list)
    nonspecific: list = field(default_factory=list)  # (name, line)
    electrode: list = field(default_factory=list)  # (name, line)
    range: list = field(default_factory=list)  # (name, line)
    globals: list = field(default_factory=list)  # (name, line)
    units: dict = field(default_factory=dict)  # name -> (value, line)
    parameters: dict = field(default_factory=dict)  # name -> Declaration
    assigned: dict = field(default_factory=dict)
    states: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    initial: Function | None = None
    breakpoint: Function | None = None
    derivatives: dict = field(default_factory=dict)  # name -> Function
    kinetics: dict = field(default_factory=dict)
    procedures: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)
    net_receive: Function | None = None
    identifiers: frozenset = frozenset()  # every name in the file
