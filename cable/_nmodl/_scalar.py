"""NMODL statements as scalar Python: one event, or one INITIAL, of one instance.

The vectorized emitter (:mod:`._emit`) evaluates both sides of an ``if`` over all
instances and merges the results, which is right for equations but wrong for side
effects (``net_send`` inside an ``if`` would always run). Events reach one instance at a
time, so NET_RECEIVE (and the INITIAL of an ARTIFICIAL_CELL) become plain Python: real
``if``/``else``, ``math`` functions, the instance's variables read and written through
the object where they live (:class:`Instance`), FUNCTIONs and PROCEDUREs as scalar
functions ``_fn_<name>(obj, t, *args)``.
"""

import keyword
from dataclasses import dataclass, field

from . import _ast as A

__all__ = ["Instance", "ScalarWriter"]

MATH = {
    "exp": "math.exp",
    "log": "math.log",
    "log10": "math.log10",
    "fabs": "math.fabs",
    "sqrt": "math.sqrt",
    "pow": "math.pow",
    "sin": "math.sin",
    "cos": "math.cos",
    "tan": "math.tan",
    "tanh": "math.tanh",
    "sinh": "math.sinh",
    "cosh": "math.cosh",
    "asin": "math.asin",
    "acos": "math.acos",
    "atan": "math.atan",
    "atan2": "math.atan2",
    "floor": "math.floor",
    "ceil": "math.ceil",
    "fmin": "min",
    "fmax": "max",
    "fmod": "math.fmod",
    "expm1": "math.expm1",
    "log1p": "math.log1p",
}
_TWO_ARGS = ("pow", "atan2", "fmin", "fmax", "fmod")
_EVENT_CALLS = ("net_send", "net_event", "net_move")
_RESERVED = {"obj", "t", "flag", "math", "min", "max", "float"}

# precedences of generated Python expressions
OR, AND, NOT, CMP, ADD, MUL, UNARY, ATOM = range(8)


@dataclass(frozen=True)
class _X:
    """A Python expression: its code, precedence, and whether it is a truth value."""

    code: str
    prec: int
    boolean: bool = False


@dataclass
class Instance:
    """Where the scalar code finds a mechanism's variables.

    Parameters
    ----------
    kind : str
        ``"point"`` (a PointProcessObject: values in one-element arrays ``obj._data``) or
        ``"artificial"`` (an ArtificialCell: plain attributes).
    mech : str
        The mechanism name (key of ``sim.mech_globals``).
    names : set of str
        Variables stored on the instance.
    writable : set of str
        Those that NET_RECEIVE may assign.
    """

    kind: str
    mech: str
    names: set = field(default_factory=set)
    writable: set = field(default_factory=set)

    @property
    def sim(self):
        return "obj.seg.sec.sim" if self.kind == "point" else "obj.sim"

    def read(self, name):
        return f'_d["{name}"][0]' if self.kind == "point" else f"obj.{name}"

    def write(self, name, code):
        return f"{self.read(name)} = {code}"


class ScalarWriter:
    """Writes one scalar Python function from NMODL statements.

    Parameters
    ----------
    info : MechInfo
    inst : Instance
    context : str
        ``"NET_RECEIVE"``, ``"INITIAL"`` (the mechanism's), ``"NET_RECEIVE INITIAL"``,
        ``"FUNCTION"`` or ``"PROCEDURE"``: what ``flag``, ``net_send`` and ``net_event``
        may do here.
    weights : tuple of str
        NET_RECEIVE's arguments: the entries of the NetCon's weight list ``_w``.
    tables : dict
        Tabled FUNCTION or PROCEDURE name -> (builder name, argument names).
    calls : set
        Receives the FUNCTION and PROCEDURE names called (their scalar versions are
        written next).
    """

    def __init__(self, info, inst, context, *, weights=(), tables=None, calls=None):
        self.info = info
        self.inst = inst
        self.context = context
        self.weights = tuple(weights)
        self.tables = tables or {}
        self.calls = calls if calls is not None else set()
        self.lines = []
        self.prologue = {}  # name -> line
        self.scopes = [{}]  # NMODL LOCAL or argument -> Python name
        self.used = set()
        self.indent = 1

    # -- output -------------------------------------------------------------------------------
    def function(self, py_name, params, body, *, args=(), returns=None, doc=None, fn=None):
        """The source of ``def py_name(params): ...`` for ``body``.

        ``args`` are NMODL argument names bound to the trailing Python parameters;
        ``returns`` is the FUNCTION's name (its value is returned); ``fn``, a FUNCTION
        or PROCEDURE with a TABLE, is written as NEURON's table lookup.
        """
        arg_py = [self.declare(a, init=False) for a in args]
        if returns is not None:
            self.declare(returns)
        table = next((s for s in body if isinstance(s, A.Table)), None) if fn is not None else None
        if table is not None:
            self.tabled(fn, table, returns)
        else:
            self.statements(body)
        if returns is not None:
            self.emit(f"return {self.scopes[0][returns]}")
        head = f"def {py_name}({', '.join(list(params) + arg_py)}):\n"
        text = f'    """{doc}"""\n' if doc else ""
        text += "".join(f"    {x}\n" for x in self.prologue.values())
        text += "".join(f"{x}\n" for x in self.lines) or ("    pass\n" if not self.prologue and not doc else "")
        return head + text

    def emit(self, line):
        self.lines.append("    " * self.indent + line)

    def need(self, name):
        """Bind a helper name in the prologue: ``_d`` (values of a point process), ``_g``
        (the mechanism's GLOBALs), ``_sim``."""
        if name == "_d":
            self.prologue.setdefault("_d", "_d = obj._data")
        elif name == "_sim":
            self.prologue.setdefault("_sim", f"_sim = {self.inst.sim}")
        elif name == "_g":
            self.need("_sim")
            self.prologue.setdefault("_g", f'_g = _sim.mech_globals["{self.inst.mech}"]')

    def error(self, line, message):
        return self.info.error(line, message)

    # -- names ---------------------------------------------------------------------------------
    def declare(self, name, init=True):
        """A fresh Python name for a LOCAL (or argument) in the innermost scope."""
        py = "u" + name if name.startswith("_") else name  # _d, _g, _w ... are the writer's
        while keyword.iskeyword(py) or py in _RESERVED or py in self.used:
            py += "_"
        self.used.add(py)
        self.scopes[-1][name] = py
        if init:
            self.emit(f"{py} = 0.0")
        return py

    def _local(self, name):
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def _instance(self, name):
        if self.inst.kind == "point":
            self.need("_d")
        return self.inst.read(name)

    def read(self, name, line):
        """Python code reading NMODL ``name``."""
        py = self._local(name)
        if py is not None:
            return py
        if name in self.weights and self.context.startswith("NET_RECEIVE"):
            return f"_w[{self.weights.index(name)}]"
        if name == "t":
            return "t"
        if name == "flag":
            if self.context != "NET_RECEIVE":
                raise self.error(line, f"flag is defined only in NET_RECEIVE, not in {self.context}")
            return "flag"
        if name in ("dt", "celsius"):
            self.need("_sim")
            return f"_sim.{name}"
        cat = self.info.category(name)
        if cat == "v":
            if self.inst.kind != "point":
                raise self.error(line, f"an ARTIFICIAL_CELL ({self.info.name}) has no membrane potential v")
            return "obj.seg.v"
        if cat == "const":
            return repr(float(self.info.constants[name]))
        if cat == "global":
            self.need("_g")
            return f'_g["{name}"]'
        if name in self.inst.names:
            return self._instance(name)
        if cat == "ion":
            raise self.error(line, f"reading the ion variable {name} in {self.context} is not supported")
        if cat in ("function", "procedure", "block"):
            raise self.error(line, f"{name!r} is a {cat}, not a variable")
        if cat is None:
            raise self.error(line, f"{name!r} is not declared")
        raise self.error(line, f"{name!r} cannot be read in {self.context} ({cat} variable)")

    def write(self, name, code, line):
        """The Python statement assigning ``code`` to NMODL ``name``."""
        py = self._local(name)
        if py is not None:
            return f"{py} = {code}"
        if name in self.weights and self.context.startswith("NET_RECEIVE"):
            return f"_w[{self.weights.index(name)}] = {code}"
        if name in ("t", "dt", "celsius", "flag", "v"):
            raise self.error(line, f"cannot assign {name}: it is set by the simulator")
        cat = self.info.category(name)
        if cat == "global":
            self.need("_g")
            return f'_g["{name}"] = {code}'
        if name in self.inst.writable:
            self._instance(name)
            return self.inst.write(name, code)
        if self.context == "INITIAL" and self.inst.kind == "point" and name in self.inst.names:
            # a value BREAKPOINT computes: the vectorized initial() and current() set it
            return f"pass  # {name}: computed by BREAKPOINT"
        if cat is None:
            raise self.error(line, f"assignment to {name!r}, which is not declared")
        what = {
            "current": "a current that BREAKPOINT computes",
            "output": "an ASSIGNED value that BREAKPOINT computes",
            "scratch": "an ASSIGNED value that BREAKPOINT computes",
            "ion": "an ion variable",
            "const": "a constant",
        }.get(cat, f"a {cat}")
        raise self.error(line, f"cannot assign {name} in {self.context}: it is {what}")

    # -- expressions -----------------------------------------------------------------------------
    def expr(self, node):
        if isinstance(node, A.Num):
            return _X(repr(float(node.value)), ATOM)
        if isinstance(node, A.Name):
            return _X(self.read(node.name, node.line), ATOM)
        if isinstance(node, A.UnaryOp):
            e = self.expr(node.operand)
            if node.op == "-":
                return _X("-" + _wrap(self.value(e), UNARY), UNARY)
            return _X("not " + _wrap(e, NOT), NOT, True)
        if isinstance(node, A.BinOp):
            return self._binop(node)
        if isinstance(node, A.Call):
            return self._call(node)
        raise self.error(getattr(node, "line", 0), f"unexpected expression {node!r}")

    @staticmethod
    def value(e):
        """A truth value as a number (NMODL's 1 or 0)."""
        return _X(f"(1.0 if {e.code} else 0.0)", ATOM) if e.boolean else e

    def _binop(self, node):
        a, b = self.expr(node.left), self.expr(node.right)
        op = node.op
        if op in ("&&", "||"):
            prec = AND if op == "&&" else OR
            word = "and" if op == "&&" else "or"
            return _X(f"{_wrap(a, prec)} {word} {_wrap(b, prec + 1)}", prec, True)
        a, b = self.value(a), self.value(b)
        if op in ("<", ">", "<=", ">=", "==", "!="):
            return _X(f"{_wrap(a, CMP + 1)} {op} {_wrap(b, CMP + 1)}", CMP, True)
        if op == "^":  # math.pow: a domain error raises instead of giving a complex number
            return _X(f"math.pow({a.code}, {b.code})", ATOM)
        prec = ADD if op in "+-" else MUL
        sep = " " if prec == ADD else ""
        return _X(f"{_wrap(a, prec)}{sep}{op}{sep}{_wrap(b, prec + 1)}", prec)

    def _call(self, node):
        name = node.name
        if name in MATH:
            want = 2 if name in _TWO_ARGS else 1
            if len(node.args) != want:
                plural = "s" if want > 1 else ""
                raise self.error(node.line, f"{name} takes {want} argument{plural}, got {len(node.args)}")
            args = [self.value(self.expr(x)).code for x in node.args]
            return _X(f"{MATH[name]}({', '.join(args)})", ATOM)
        if name in _EVENT_CALLS or name == "state_discontinuity":
            raise self.error(node.line, f"{name}() is a statement, not a value")
        cat = self.info.category(name)
        if cat == "procedure":
            raise self.error(node.line, f"PROCEDURE {name} used as a value (only a FUNCTION returns one)")
        if cat != "function":
            raise self.error(node.line, f"unknown function {name}()")
        return _X(self._user_call(self.info.mod.functions[name], node), ATOM)

    def _user_call(self, fn, call):
        if len(call.args) != len(fn.args):
            raise self.error(call.line, f"{fn.name} takes {len(fn.args)} arguments, got {len(call.args)}")
        self.calls.add(fn.name)
        args = ["obj", "t"] + [self.value(self.expr(x)).code for x in call.args]
        return f"_fn_{fn.name}({', '.join(args)})"

    # -- statements ------------------------------------------------------------------------------
    def statements(self, body):
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt):
        if isinstance(stmt, A.Local):
            for n in stmt.names:
                self.declare(n)
        elif isinstance(stmt, A.Assign):
            self.emit(self.write(stmt.name, self.value(self.expr(stmt.expr)).code, stmt.line))
        elif isinstance(stmt, A.CallStmt):
            self._call_statement(stmt.call)
        elif isinstance(stmt, A.If):
            self._if(stmt, "if")
        elif isinstance(stmt, A.Block):
            self.scopes.append({})
            self.statements(stmt.body)
            self.scopes.pop()
        elif isinstance(stmt, A.Unsupported):
            raise self.error(stmt.line, f"{stmt.what} in {self.context} is not supported")
        elif isinstance(stmt, A.Function) and stmt.kind == "INITIAL":
            raise self.error(stmt.line, "INITIAL inside NET_RECEIVE must be a top-level statement of NET_RECEIVE")
        else:
            what = {
                A.Prime: "a derivative (x' = ...)",
                A.Reaction: "a reaction (~)",
                A.Conserve: "CONSERVE",
                A.Compartment: "COMPARTMENT",
                A.Table: "TABLE",
                A.Solve: "SOLVE",
            }.get(type(stmt), type(stmt).__name__)
            raise self.error(getattr(stmt, "line", 0), f"{what} in {self.context} is not supported")

    def _call_statement(self, call):
        name = call.name
        if name in _EVENT_CALLS:
            self._event_call(call)
        elif name == "state_discontinuity":  # the old spelling of an assignment in NET_RECEIVE
            if len(call.args) != 2 or not isinstance(call.args[0], A.Name):
                raise self.error(call.line, "state_discontinuity takes a variable and a value")
            self.emit(self.write(call.args[0].name, self.value(self.expr(call.args[1])).code, call.line))
        elif name in MATH:
            self.emit(self._call(call).code)
        elif self.info.category(name) in ("procedure", "function"):
            mod = self.info.mod
            fn = mod.procedures.get(name) or mod.functions[name]
            self.emit(self._user_call(fn, call))
        else:
            raise self.error(call.line, f"unknown procedure {name}()")

    def _event_call(self, call):
        name = call.name
        if name == "net_move":
            raise self.error(call.line, "net_move is not supported")
        if self.context not in ("NET_RECEIVE", "INITIAL"):
            raise self.error(call.line, f"{name} is allowed only in NET_RECEIVE and INITIAL, not in {self.context}")
        want = 2 if name == "net_send" else 1
        if len(call.args) != want:
            raise self.error(call.line, f"{name} takes {want} argument{'s' if want > 1 else ''}, got {len(call.args)}")
        args = [self.value(self.expr(x)).code for x in call.args]
        if name == "net_event":
            self.emit(f"obj.net_event({args[0]})")
            return
        if self.info.mod.net_receive is None:
            raise self.error(call.line, "net_send without a NET_RECEIVE block to receive the self-event")
        weights = "_w" if self.context == "NET_RECEIVE" else "None"
        where = self.info.where(call.line)
        self.emit(f"_rt.net_send(obj, t, {args[0]}, {args[1]}, {weights}, {where!r})")

    def _if(self, stmt, word):
        self.emit(f"{word} {self.expr(stmt.cond).code}:")
        self._branch(stmt.then)
        orelse = stmt.orelse
        if len(orelse) == 1 and isinstance(orelse[0], A.If):
            self._if(orelse[0], "elif")
        elif orelse:
            self.emit("else:")
            self._branch(orelse)

    def _branch(self, body):
        self.indent += 1
        self.scopes.append({})
        before = len(self.lines)
        self.statements(body)
        if len(self.lines) == before:
            self.emit("pass")
        self.scopes.pop()
        self.indent -= 1

    # -- a tabled FUNCTION or PROCEDURE ----------------------------------------------------------
    def tabled(self, fn, table, returns):
        """``if usetable: the table's values, else: the body`` (NEURON's TABLE)."""
        builder, arg_names = self.tables[fn.name]
        self.need("_g")
        args = [self.read(n, table.line) for n in arg_names]
        x = self._local(fn.args[0])
        self.emit('if _g["usetable"]:')
        self.indent += 1
        self.emit(f"_tab = _rt.lookup({builder}({', '.join(args)}), {x})")
        names = (returns,) if returns is not None else table.names
        for k, name in enumerate(names):
            self.emit(self.write(name, f"float(_tab[{k}])", table.line))
        self.indent -= 1
        self.emit("else:")
        self._branch(tuple(s for s in fn.body if not isinstance(s, A.Table)))


def _wrap(e, prec):
    return e.code if e.prec >= prec else f"({e.code})"
