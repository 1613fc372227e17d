"""NMODL statements as straight-line, vectorized numpy code.

Every assignment gets a fresh Python name (static single assignment), so that:

* an ``if`` over arrays evaluates both branches and merges each variable they change
  with ``np.where`` (side effects in branches are merged the same way);
* PROCEDURE and FUNCTION calls are inlined: arguments by value, LOCALs renamed, and the
  procedure's writes to ASSIGNED variables seen by the caller;
* each name carries a sympy symbol and definition, so later stages can ask whether a
  derivative is linear in its state (``cnexp``) or a current linear in ``v``.

An :class:`Emitter` writes one Python function body; the translator drives it.
"""

import functools
import keyword
import re
from dataclasses import dataclass

import sympy as sp
from sympy.printing.str import StrPrinter

from . import _ast as A

__all__ = ["Emitter", "Val", "to_code", "NonLinear"]

MATH = {
    "exp": "np.exp",
    "log": "np.log",
    "log10": "np.log10",
    "fabs": "np.abs",
    "sqrt": "np.sqrt",
    "pow": "np.power",
    "sin": "np.sin",
    "cos": "np.cos",
    "tan": "np.tan",
    "tanh": "np.tanh",
    "sinh": "np.sinh",
    "cosh": "np.cosh",
    "asin": "np.arcsin",
    "acos": "np.arccos",
    "atan": "np.arctan",
    "atan2": "np.arctan2",
    "floor": "np.floor",
    "ceil": "np.ceil",
    "fmin": "np.minimum",
    "fmax": "np.maximum",
    "fmod": "np.fmod",
    "expm1": "np.expm1",
    "log1p": "np.log1p",
}
RESERVED = {"np", "v", "states", "params", "ions", "ctx", "out", "functools", "math"}

# precedences of generated Python expressions
CMP, ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5, 6


class NonLinear(Exception):
    """An expression is not linear in the variable asked about."""


class _Printer(StrPrinter):
    def _print_Float(self, e):
        return repr(float(e))

    def _print_Integer(self, e):
        return repr(float(e))

    def _print_Rational(self, e):
        return repr(float(e))


def to_code(expr):
    """Python source of a sympy expression built by the emitter."""
    return _Printer().doprint(expr)


@functools.lru_cache(maxsize=None)
def _sym_function(name):
    """The sympy function standing for an NMODL FUNCTION (one object per name)."""
    return sp.Function(name)


@dataclass(frozen=True)
class Val:
    """A value: Python code (a name or a literal), whether it is an array, its symbol."""

    code: str
    vector: bool
    sym: object


@dataclass(frozen=True)
class _E:
    code: str
    prec: int
    vector: bool
    sym: object
    deps: frozenset


class Emitter:
    """Writes the body of one generated function.

    Parameters
    ----------
    info : MechInfo
    mode : str
        'initial', 'state' (DERIVATIVE/KINETIC), 'current' or 'table'.
    resolver : callable
        ``resolver(emitter, name, category, line) -> Val`` for names read before any
        assignment in this function (parameters, states, ions, stored values, ...).
    tables : dict
        Procedure or function name -> (builder name, argument names) of its TABLE.
    """

    def __init__(self, info, mode, resolver, tables=None):
        self.info = info
        self.mode = mode
        self.resolver = resolver
        self.tables = tables or {}
        self.lines = []
        self.prologue = []
        self.bound = {}  # prologue name -> Val
        self.counter = {}
        self.defs = {}  # python name -> sympy definition (None: opaque)
        self.deps = {}  # python name -> frozenset of tracked base names
        self.module = {}  # NMODL module variable (and x' accumulators) -> Val
        self.frame = {}  # LOCALs and arguments of the function being emitted -> Val or None
        self.func_name = None
        self.inlining = []
        self.exposed = set()
        self.written = set()
        self.uses_where = False
        self.compartments = {}  # state -> Val volume
        self.tracked = set()

    # -- names ---------------------------------------------------------------------------
    def fresh(self, base):
        """A new Python name ``base_k``, distinct from every name of the mod file."""
        base = re.sub(r"\W", "_", base)
        k = self.counter.get(base, 0)
        while f"{base}_{k}" in self.info.mod.identifiers:
            k += 1
        self.counter[base] = k + 1
        return f"{base}_{k}"

    @staticmethod
    def py_name(name):
        """The Python name for a bound NMODL input (``del`` -> ``del_``)."""
        if keyword.iskeyword(name) or name in RESERVED or name.startswith("_"):
            return name + "_"
        return name

    def bind(self, name, code, vector, track=False):
        """Bind an input once in the prologue: ``name = code``."""
        if name in self.bound:
            return self.bound[name]
        py = self.py_name(name)
        if py != code:
            self.prologue.append(f"{py} = {code}")
        val = Val(py, vector, sp.Symbol(py))
        self.bound[name] = val
        self.defs[py] = None
        self.deps[py] = frozenset([py]) if track else frozenset()
        if track:
            self.tracked.add(py)
        return val

    def literal(self, value):
        return Val(repr(float(value)), False, sp.Float(value))

    def error(self, line, message):
        return self.info.error(line, message)

    # -- reading and writing ---------------------------------------------------------------
    def read(self, name, line):
        if name in self.frame:
            val = self.frame[name]
            return self.literal(0.0) if val is None else val
        if name in self.module:
            return self.module[name]
        cat = self.info.category(name)
        if cat is None:
            raise self.error(line, f"{name!r} is not declared")
        if cat in ("function", "procedure", "block"):
            raise self.error(line, f"{name!r} is a {cat}, not a variable")
        if cat == "const":
            return self.literal(self.info.constants[name])
        if cat in ("output", "scratch", "current"):
            self.exposed.add(name)
        return self.resolver(self, name, cat, line)

    def assign(self, name, val, line):
        if name in self.frame or name == self.func_name:
            self.frame[name] = val
            return
        cat = self.info.category(name)
        if cat is None:
            ion = self.info.undeclared_ion_write(name)
            if ion is not None:
                raise self.error(line, f"assigns {name}, a variable of ion {ion}, without USEION {ion} WRITE {name}")
            raise self.error(line, f"assignment to {name!r}, which is not declared")
        ion = self.info.undeclared_ion_write(name) if cat not in ("current",) else None
        if ion is not None:
            raise self.error(line, f"assigns {name}, a variable of ion {ion}, without USEION {ion} WRITE {name}")
        if cat == "state" and self.mode == "initial":
            self.module[name] = val
            return
        if cat in ("range", "event") and self.mode == "initial":
            # NEURON lets INITIAL change a RANGE PARAMETER (Exp2Syn's tau1) and set a value
            # that NET_RECEIVE reads (Exp2Syn's factor); initial() returns both
            self.module[name] = val
            self.written.add(name)
            return
        if cat in ("output", "scratch", "current"):
            self.module[name] = val
            self.written.add(name)
            return
        what = {
            "state": "a STATE outside INITIAL (states change only through their equations)",
            "range": "a PARAMETER (parameters are inputs; INITIAL may set a RANGE PARAMETER)",
            "event": "a value shared with NET_RECEIVE (only INITIAL and NET_RECEIVE may set it)",
            "global": "a PARAMETER (parameters are inputs)",
            "ion": "an ion variable that is only READ",
            "v": "the membrane potential",
            "ctx": "a simulator variable",
            "geometry": "a geometry variable",
            "const": "a constant",
        }.get(cat, f"a {cat}")
        raise self.error(line, f"cannot assign {name}: it is {what}")

    def materialize(self, base, e):
        """A Val for an expression, writing ``name = code`` unless it is already a name or literal."""
        if e.prec == ATOM and (e.code.isidentifier() or _is_number(e.code)):
            return Val(e.code, e.vector, e.sym)
        py = self.fresh(base)
        self.lines.append(f"{py} = {e.code}")
        self.defs[py] = e.sym
        self.deps[py] = e.deps
        return Val(py, e.vector, sp.Symbol(py))

    def deps_of(self, sym):
        out = set()
        for s in sym.free_symbols:
            out |= self.deps.get(s.name, frozenset())
        return frozenset(out)

    # -- expressions ------------------------------------------------------------------------
    def expr(self, node):
        if isinstance(node, A.Num):
            return _E(repr(float(node.value)), ATOM, False, sp.Float(node.value), frozenset())
        if isinstance(node, A.Name):
            val = self.read(node.name, node.line)
            return self._from_val(val)
        if isinstance(node, A.UnaryOp):
            e = self.expr(node.operand)
            if node.op == "-":
                code = "-" + _wrap(e, UNARY)
                return _E(code, UNARY, e.vector, -e.sym, e.deps)
            return _E(f"np.logical_not({e.code})", ATOM, e.vector, _sym_function("not")(e.sym), e.deps)
        if isinstance(node, A.BinOp):
            return self._binop(node)
        if isinstance(node, A.Call):
            return self._call(node)
        raise self.error(getattr(node, "line", 0), f"unexpected expression {node!r}")

    def _from_val(self, val):
        prec = ATOM if not val.code.startswith("-") else UNARY
        return _E(val.code, prec, val.vector, val.sym, self.deps_of(val.sym))

    def _binop(self, node):
        a, b = self.expr(node.left), self.expr(node.right)
        vec, deps = a.vector or b.vector, a.deps | b.deps
        op = node.op
        if op in ("+", "-", "*", "/"):
            prec = ADD if op in "+-" else MUL
            code = (
                f"{_wrap(a, prec)} {op} {_wrap(b, prec + 1)}"
                if prec == ADD
                else f"{_wrap(a, prec)}{op}{_wrap(b, prec + 1)}"
            )
            sym = {"+": a.sym + b.sym, "-": a.sym - b.sym, "*": a.sym * b.sym, "/": a.sym / b.sym}[op]
            return _E(code, prec, vec, sym, deps)
        if op == "^":
            return _E(f"{_wrap(a, POW + 1)}**{_wrap(b, UNARY)}", POW, vec, a.sym**b.sym, deps)
        if op in ("<", ">", "<=", ">=", "==", "!="):
            sym = _sym_function("cmp" + {"<": "lt", ">": "gt", "<=": "le", ">=": "ge", "==": "eq", "!=": "ne"}[op])
            return _E(f"{_wrap(a, CMP + 1)} {op} {_wrap(b, CMP + 1)}", CMP, vec, sym(a.sym, b.sym), deps)
        fn = "np.logical_and" if op == "&&" else "np.logical_or"
        return _E(f"{fn}({a.code}, {b.code})", ATOM, vec, _sym_function(fn)(a.sym, b.sym), deps)

    def _call(self, node):
        name = node.name
        if name in MATH:
            args = [self.expr(x) for x in node.args]
            want = 2 if name in ("pow", "atan2", "fmin", "fmax", "fmod") else 1
            if len(args) != want:
                raise self.error(node.line, f"{name} takes {want} argument{'s' if want > 1 else ''}, got {len(args)}")
            code = f"{MATH[name]}({', '.join(x.code for x in args)})"
            sym = _sym_function(MATH[name])(*[x.sym for x in args])
            deps = frozenset().union(*[x.deps for x in args])
            return _E(code, ATOM, any(x.vector for x in args), sym, deps)
        cat = self.info.category(name)
        if cat == "function":
            val = self.inline(self.info.mod.functions[name], node.args, node.line)
            return self._from_val(val)
        if cat == "procedure":
            raise self.error(node.line, f"PROCEDURE {name} used as a value (only a FUNCTION returns one)")
        raise self.error(node.line, f"unknown function {name}()")

    # -- statements ------------------------------------------------------------------------------
    def statements(self, body, scoped=True):
        saved = dict(self.frame) if scoped else None
        declared = set()
        for stmt in body:
            if isinstance(stmt, A.Local):
                for n in stmt.names:
                    self.frame[n] = None
                    declared.add(n)
            else:
                self.statement(stmt)
        if scoped:
            for n in declared:  # restore what the LOCALs shadowed
                if n in saved:
                    self.frame[n] = saved[n]
                else:
                    del self.frame[n]

    def statement(self, stmt):
        if isinstance(stmt, A.Assign):
            val = self.materialize(stmt.name, self.expr(stmt.expr))
            self.assign(stmt.name, val, stmt.line)
        elif isinstance(stmt, A.CallStmt):
            self._call_statement(stmt.call)
        elif isinstance(stmt, A.If):
            self._if(stmt)
        elif isinstance(stmt, A.Block):
            self.statements(stmt.body)
        elif isinstance(stmt, A.Prime):
            self._prime(stmt)
        elif isinstance(stmt, A.Reaction):
            _kinetic().reaction(self, stmt)
        elif isinstance(stmt, A.Compartment):
            _kinetic().compartment(self, stmt)
        elif isinstance(stmt, A.Conserve):
            if self.mode != "state" or not self._kinetic:
                raise self.error(stmt.line, "CONSERVE outside a KINETIC block")
            if self.inlining or self._depth_if:
                raise self.error(stmt.line, "CONSERVE must be a top-level statement of its KINETIC block")
        elif isinstance(stmt, A.Table):
            raise self.error(stmt.line, "TABLE is allowed only in a PROCEDURE or FUNCTION")
        elif isinstance(stmt, A.Solve):
            if self.mode == "initial" and stmt.steadystate and self.solve_hook is not None:
                self.solve_hook(self, stmt)
            else:
                raise self.error(
                    stmt.line, "SOLVE is allowed only in BREAKPOINT, or as SOLVE ... STEADYSTATE in INITIAL"
                )
        else:
            raise self.error(getattr(stmt, "line", 0), f"unsupported statement {type(stmt).__name__}")

    _kinetic = False
    _depth_if = 0
    solve_hook = None

    def _call_statement(self, call):
        if call.name in ("net_send", "net_event", "net_move"):
            if call.name == "net_move":
                raise self.error(call.line, "net_move is not supported")
            if self.mode == "initial" and self.info.is_point and not self.inlining:
                return  # the scalar INITIAL (instance_initial) sends it, one instance at a time
            raise self.error(
                call.line,
                f"{call.name} is allowed only in NET_RECEIVE and INITIAL (of a POINT_PROCESS or ARTIFICIAL_CELL)",
            )
        cat = self.info.category(call.name)
        if cat == "procedure":
            self.inline(self.info.mod.procedures[call.name], call.args, call.line)
        elif cat == "function" or call.name in MATH:
            self._call(call)
        else:
            raise self.error(call.line, f"unknown procedure {call.name}()")

    def _prime(self, stmt):
        if self.mode != "state":
            raise self.error(stmt.line, f"{stmt.name}' = ... outside a DERIVATIVE or KINETIC block")
        if self.info.category(stmt.name) != "state":
            raise self.error(stmt.line, f"{stmt.name}' = ...: {stmt.name} is not a STATE")
        val = self.materialize("d" + stmt.name, self.expr(stmt.expr))
        if self._kinetic:
            val = _kinetic().accumulate(self, stmt.name, val, "+")
        self.module[stmt.name + "'"] = val

    # -- if / else ----------------------------------------------------------------------------
    def _if(self, stmt):
        cond = self.materialize("cond", self.expr(stmt.cond))
        self._depth_if += 1
        before_module, before_frame = dict(self.module), dict(self.frame)
        self.statements(stmt.then)
        then_module, then_frame = self.module, self.frame
        self.module, self.frame = dict(before_module), dict(before_frame)
        self.statements(stmt.orelse)
        else_module, else_frame = self.module, self.frame
        self._depth_if -= 1
        self.module, self.frame = dict(before_module), dict(before_frame)
        cdeps = self.deps_of(cond.sym)
        for scope, t_scope, e_scope in (("frame", then_frame, else_frame), ("module", then_module, else_module)):
            names = list(dict.fromkeys(list(t_scope) + list(e_scope)))
            for name in names:
                if scope == "frame" and name not in before_frame:
                    continue
                vt, ve = self._branch_value(name, t_scope), self._branch_value(name, e_scope)
                if vt.code == ve.code:
                    target = vt
                else:
                    self.uses_where = True
                    py = self.fresh(name)
                    self.lines.append(f"{py} = np.where({cond.code}, {vt.code}, {ve.code})")
                    self.defs[py] = None
                    self.deps[py] = cdeps | self.deps_of(vt.sym) | self.deps_of(ve.sym)
                    target = Val(py, cond.vector or vt.vector or ve.vector, sp.Symbol(py))
                if scope == "frame":
                    self.frame[name] = target
                else:
                    self.module[name] = target

    def _branch_value(self, name, scope):
        val = scope.get(name)
        if val is not None:
            return val
        if name in self.frame:
            return self.literal(0.0) if self.frame[name] is None else self.frame[name]
        if name.endswith("'"):
            return self.literal(0.0)
        return self.read(name, 0)

    # -- inlining -------------------------------------------------------------------------------
    def inline(self, fn, args, line):
        """Emit a PROCEDURE or FUNCTION body for one call; returns the FUNCTION's value."""
        if fn.name in self.inlining:
            raise self.error(line, f"recursive call of {fn.name} is not supported")
        if len(args) != len(fn.args):
            raise self.error(line, f"{fn.name} takes {len(fn.args)} arguments, got {len(args)}")
        values = [self.materialize(a, self.expr(x)) for a, x in zip(fn.args, args)]
        saved_frame, saved_func = self.frame, self.func_name
        self.frame = dict(zip(fn.args, values))
        self.func_name = fn.name if fn.kind == "FUNCTION" else None
        if self.func_name:
            self.frame[fn.name] = None
        self.inlining.append(fn.name)
        try:
            table = next((s for s in fn.body if isinstance(s, A.Table)), None)
            body = tuple(s for s in fn.body if not isinstance(s, A.Table))
            if table is not None and self.mode != "table":
                self._tabled(fn, table, body, values)
            else:
                self.statements(body, scoped=False)
            result = self.frame.get(fn.name) if self.func_name else None
        finally:
            self.inlining.pop()
            self.frame, self.func_name = saved_frame, saved_func
        if fn.kind == "FUNCTION":
            return self.literal(0.0) if result is None else result
        return None

    def _tabled(self, fn, table, body, values):
        """``if usetable: interpolate the table, else: the body``, as a Python if."""
        builder, arg_names = self.tables[fn.name]
        usetable = self.resolver(self, "usetable", "global", table.line)
        args = [self.read(n, table.line).code for n in arg_names]
        before_module, before_frame = dict(self.module), dict(self.frame)
        outer_lines = self.lines
        self.lines = []
        r = self.fresh("tab")
        self.lines.append(f"{r} = _rt.lookup({builder}({', '.join(args)}), {values[0].code})")
        names = table.names if fn.kind == "PROCEDURE" else (fn.name,)
        arg_deps = self.deps_of(values[0].sym)
        for k, name in enumerate(names):
            val = self.materialize(name, _E(f"{r}[{k}]", ATOM + 1, True, None, arg_deps))
            self.defs[val.code] = None  # interpolated: opaque for the analysis
            if fn.kind == "FUNCTION":
                self.frame[name] = val
            else:
                self.assign(name, val, table.line)
        then_lines, then_module, then_frame = self.lines, self.module, self.frame
        self.lines, self.module, self.frame = [], dict(before_module), dict(before_frame)
        uses_where, self.uses_where = self.uses_where, False
        self.statements(body, scoped=False)
        else_lines, else_module, else_frame = self.lines, self.module, self.frame
        if self.uses_where:  # the exact branch alone evaluates both sides of its ifs
            else_lines = ["with np.errstate(all='ignore'):"] + ["    " + x for x in else_lines]
        self.uses_where = uses_where
        self.lines, self.module, self.frame = outer_lines, dict(before_module), dict(before_frame)
        for scope, t_scope, e_scope in (("frame", then_frame, else_frame), ("module", then_module, else_module)):
            for name in dict.fromkeys(list(t_scope) + list(e_scope)):
                if scope == "frame" and name not in before_frame:
                    continue
                vt, ve = self._branch_value(name, t_scope), self._branch_value(name, e_scope)
                if vt.code == ve.code:
                    target = vt
                else:
                    py = self.fresh(name)
                    then_lines.append(f"{py} = {vt.code}")
                    else_lines.append(f"{py} = {ve.code}")
                    self.defs[py] = None
                    self.deps[py] = self.deps_of(vt.sym) | self.deps_of(ve.sym) if vt.sym is not None else frozenset()
                    target = Val(py, vt.vector or ve.vector, sp.Symbol(py))
                (self.frame if scope == "frame" else self.module)[name] = target
        self.lines.append(f"if {usetable.code}:")
        self.lines += ["    " + x for x in then_lines]
        self.lines.append("else:")
        self.lines += ["    " + x for x in else_lines] or ["    pass"]

    # -- analysis --------------------------------------------------------------------------------
    def expand(self, sym, base):
        """``sym`` with every intermediate that depends on ``base`` replaced by its
        definition; raises NonLinear when such an intermediate is opaque (a merge)."""
        for _ in range(1000):
            subs = {}
            for s in sym.free_symbols:
                name = s.name
                if name != base and base in self.deps.get(name, ()) and name not in self.tracked:
                    d = self.defs.get(name)
                    if d is None:
                        raise NonLinear(name)
                    subs[s] = d
            if not subs:
                return sym
            sym = sym.xreplace(subs)
        raise NonLinear(base)

    def linear_in(self, sym, base):
        """(a, b) with ``sym == a + b*base`` and a, b free of base; raises NonLinear."""
        x = sp.Symbol(base)
        f = self.expand(sym, base)
        b = sp.diff(f, x)
        if x in b.free_symbols or b.has(sp.Derivative, sp.Subs):
            raise NonLinear(base)
        a = f.subs(x, 0)
        if x in a.free_symbols:
            raise NonLinear(base)
        return a, b


def _kinetic():
    from . import _kinetic

    return _kinetic


def _wrap(e, prec):
    return e.code if e.prec >= prec else f"({e.code})"


def _is_number(code):
    try:
        float(code)
    except ValueError:
        return False
    return True
