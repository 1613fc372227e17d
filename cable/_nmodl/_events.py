"""Events in a translated mechanism: NET_RECEIVE of a POINT_PROCESS, and ARTIFICIAL_CELL.

* :func:`share_event_variables` decides where each ASSIGNED value that NET_RECEIVE
  touches lives, so that the scalar event code and the vectorized blocks see the same
  number: one that BREAKPOINT computes stays an assigned output (NET_RECEIVE reads it);
  any other becomes a per-instance parameter (``factor`` of Exp2Syn, set in INITIAL and
  read at each event).
* :func:`point_event_source` writes NET_RECEIVE, its INITIAL block (per NetCon), an
  INITIAL that sends events, and the FUNCTIONs and PROCEDUREs they call, as scalar
  Python (:mod:`._scalar`).
* :func:`artificial_source` writes an ARTIFICIAL_CELL as a subclass of
  :class:`cable._artificial.ArtificialCell`.
"""

import keyword

from .. import _artificial
from . import _ast as A
from ._scalar import Instance, ScalarWriter

__all__ = [
    "share_event_variables",
    "initial_sends_events",
    "scalar_initial",
    "point_event_source",
    "artificial_source",
]

_SPECIAL = ("v", "t", "dt", "celsius", "area", "diam")
_EVENT_CALLS = ("net_send", "net_event", "net_move")


def usage(mod, body, scope=()):
    """The module names a block reads and assigns, through the FUNCTIONs and PROCEDUREs
    it calls (LOCALs and arguments excluded).

    Returns
    -------
    reads : set of str
    writes : dict str -> int
        Name -> line of its first assignment.
    """
    reads, writes, seen = set(), {}, set()

    def expr(node, scope):
        if isinstance(node, A.Name):
            if node.name not in scope:
                reads.add(node.name)
        elif isinstance(node, A.Call):
            call(node, scope)
        elif isinstance(node, A.BinOp):
            expr(node.left, scope)
            expr(node.right, scope)
        elif isinstance(node, A.UnaryOp):
            expr(node.operand, scope)

    def call(c, scope):
        args = c.args
        if c.name == "state_discontinuity" and args and isinstance(args[0], A.Name):
            if args[0].name not in scope:
                writes.setdefault(args[0].name, c.line)
            args = args[1:]
        for a in args:
            expr(a, scope)
        fn = mod.procedures.get(c.name) or mod.functions.get(c.name)
        if fn is not None and fn.name not in seen:
            seen.add(fn.name)
            block(fn.body, set(fn.args) | ({fn.name} if fn.kind == "FUNCTION" else set()))

    def block(body, scope):
        scope = set(scope)
        for s in body:
            if isinstance(s, A.Local):
                scope |= set(s.names)
            elif isinstance(s, A.Assign):
                expr(s.expr, scope)
                if s.name not in scope:
                    writes.setdefault(s.name, s.line)
            elif isinstance(s, A.CallStmt):
                call(s.call, scope)
            elif isinstance(s, A.If):
                expr(s.cond, scope)
                block(s.then, scope)
                block(s.orelse, scope)
            elif isinstance(s, (A.Block, A.Function)):
                block(s.body, scope)
            elif isinstance(s, A.Prime):
                expr(s.expr, scope)
            elif isinstance(s, A.Reaction):
                for e in (s.kf, s.kb):
                    if e is not None:
                        expr(e, scope)
            elif isinstance(s, A.Conserve):
                expr(s.lhs, scope)
                expr(s.rhs, scope)
            elif isinstance(s, A.Compartment):
                expr(s.volume, scope)

    block(body, scope)
    return reads, writes


def scalar_initial(mod):
    """Whether a point process's INITIAL also runs as scalar code, per instance, after the
    vectorized ``initial``: when it sends events (``net_send``, ``net_event``)."""
    if mod.kind != "POINT_PROCESS" or mod.initial is None or not mod.initial.body:
        return False
    return initial_sends_events(mod)


def initial_sends_events(mod):
    """Whether the INITIAL block calls net_send, net_event or net_move (at any depth)."""

    def walk(body):
        for s in body:
            if isinstance(s, A.CallStmt) and s.call.name in _EVENT_CALLS:
                return True
            if isinstance(s, A.If) and (walk(s.then) or walk(s.orelse)):
                return True
            if isinstance(s, A.Block) and walk(s.body):
                return True
        return False

    return mod.initial is not None and walk(mod.initial.body)


def share_event_variables(info):
    """Classify the ASSIGNED values that a point process's scalar code (NET_RECEIVE, and
    an INITIAL that sends events) touches; updates ``info`` in place.

    Raises
    ------
    ModSyntaxError
        When NET_RECEIVE assigns a value that BREAKPOINT (or a block it solves) also
        computes: it would be overwritten at the next step.
    """
    mod = info.mod
    reads, writes = set(), {}
    if mod.net_receive is not None:
        reads, writes = usage(mod, mod.net_receive.body, mod.net_receive.args)
    touched = set(reads) | set(writes)
    if scalar_initial(mod):  # its writes of values BREAKPOINT computes are left out
        r, w = usage(mod, mod.initial.body)
        touched |= r | set(w)
    bp_writes = {}
    bodies = [mod.breakpoint] + list(mod.derivatives.values()) + list(mod.kinetics.values())
    for b in bodies:
        if b is not None:
            bp_writes.update(usage(mod, b.body)[1])
    event, promoted = [], []
    for name in mod.assigned:
        cat = info.category(name)
        if cat not in ("output", "scratch") or name not in touched:
            continue
        if name in bp_writes:
            if name in writes:
                raise info.error(
                    writes[name],
                    f"assigns {name}, which BREAKPOINT (or the block it solves, line {bp_writes[name]}) also "
                    "computes: not supported (the next step would overwrite it)",
                )
            if cat == "scratch":
                promoted.append(name)  # NET_RECEIVE reads it: keep it per instance
        else:
            event.append(name)
    info.event_vars = tuple(event)
    info.outputs = tuple(n for n in info.outputs if n not in event) + tuple(promoted)
    info.scratch -= set(event) | set(promoted)


def _split_net_receive(info):
    """(body without INITIAL, INITIAL body or None) of NET_RECEIVE."""
    body, init = [], None
    for s in info.mod.net_receive.body:
        if isinstance(s, A.Function) and s.kind == "INITIAL":
            if init is not None:
                raise info.error(s.line, "a second INITIAL block inside NET_RECEIVE")
            init = s.body
        else:
            body.append(s)
    return tuple(body), init


def _entry_points(info, inst, tables, calls):
    """Sources and spec fields of NET_RECEIVE and of its INITIAL block."""
    nr = info.mod.net_receive
    body, init = _split_net_receive(info)
    w = ScalarWriter(info, inst, "NET_RECEIVE", weights=nr.args, tables=tables, calls=calls)
    doc = f"NET_RECEIVE (line {nr.line}): an event at time t [ms] with the weight list _w."
    parts = [w.function("net_receive", ["obj", "_w", "flag", "t"], body, doc=doc)]
    fields = {"net_receive": "net_receive", "n_weights": len(nr.args)}
    if init is not None:
        w = ScalarWriter(info, inst, "NET_RECEIVE INITIAL", weights=nr.args, tables=tables, calls=calls)
        doc = "The INITIAL block of NET_RECEIVE, for each NetCon's weight list _w at finitialize."
        parts.append(w.function("net_init", ["obj", "_w", "t"], init, doc=doc))
        fields["net_init"] = "net_init"
    return parts, fields


def _called_functions(info, inst, tables, calls):
    """Scalar versions of the FUNCTIONs and PROCEDUREs in ``calls`` (and of those they call)."""
    mod = info.mod
    done, parts = set(), []
    while calls - done:
        name = sorted(calls - done)[0]
        done.add(name)
        fn = mod.procedures.get(name) or mod.functions[name]
        w = ScalarWriter(info, inst, fn.kind, tables=tables, calls=calls)
        returns = fn.name if fn.kind == "FUNCTION" else None
        doc = f"{fn.kind} {fn.name} (line {fn.line}), for one instance at time t [ms]."
        tabled = fn if fn.name in tables else None
        src = w.function(f"_fn_{name}", ["obj", "t"], fn.body, args=fn.args, returns=returns, doc=doc, fn=tabled)
        parts.append(src)
    return parts


def point_event_source(info, tables, params, eliminated):
    """The scalar functions of a point process's events.

    Parameters
    ----------
    info : MechInfo
        After :func:`share_event_variables`.
    tables : dict
        Tabled FUNCTION or PROCEDURE -> (builder name, argument names).
    params : iterable of str
        The spec's parameters (RANGE PARAMETERs, event variables, diam and area if read).
    eliminated : iterable of str
        States computed from a CONSERVE law (read-only).

    Returns
    -------
    (list of str, dict str -> str)
        Function sources, and the spec fields that name them.
    """
    inst = Instance("point", info.name)
    inst.names = set(params) | set(info.states) | set(info.outputs) | set(info.currents)
    inst.writable = (set(info.range_params) | set(info.event_vars) | set(info.states)) - set(eliminated)
    calls = set()
    parts, fields = [], {}
    if info.mod.net_receive is not None:
        parts, fields = _entry_points(info, inst, tables, calls)
    if scalar_initial(info.mod):
        w = ScalarWriter(info, inst, "INITIAL", tables=tables, calls=calls)
        doc = "INITIAL as scalar code, run per instance after the vectorized initial() (it sends events)."
        parts.append(w.function("instance_initial", ["obj", "t"], info.mod.initial.body, doc=doc))
        fields["instance_initial"] = "instance_initial"
    parts += _called_functions(info, inst, tables, calls)
    return parts, fields


# -- ARTIFICIAL_CELL ----------------------------------------------------------------------------
_ARTIFICIAL_HEADER = '''"""Generated by cable._nmodl from {path} (sha256 {digest}). Do not edit: edit the mod file."""

import math

from cable._artificial import ArtificialCell as _ArtificialCell
from cable._nmodl import _runtime as _rt

'''
_CLASS_ATTRIBUTES = {"sim", "spec", "mechanism_name", "origin", "global_defaults"}


def _artificial_names(info):
    """(variables: name -> value at creation, declaration line of every name)."""
    mod = info.mod
    lines = {}
    variables = {}
    for name, decl in mod.assigned.items():
        if name not in _SPECIAL:
            variables[name] = 0.0
            lines[name] = decl.line
    for name, decl in mod.states.items():
        variables[name] = info.state_start.get(name, 0.0)
        lines[name] = decl.line
    for name, decl in mod.parameters.items():
        lines[name] = decl.line
    for fn in list(mod.functions.values()) + list(mod.procedures.values()):
        lines[fn.name] = fn.line
        table = next((s for s in fn.body if isinstance(s, A.Table)), None)
        if table is not None:
            raise info.error(table.line, f"TABLE in an ARTIFICIAL_CELL ({info.name}) is not supported")
    for name, line in lines.items():
        if hasattr(_artificial.ArtificialCell, name) or name in _CLASS_ATTRIBUTES or keyword.iskeyword(name):
            raise info.error(
                line, f"{name!r} is also an attribute of every artificial cell object (or a Python keyword): rename it"
            )
    return variables


def artificial_source(info, digest=""):
    """Python source defining ``SPEC``, an ArtificialCell subclass, for an ARTIFICIAL_CELL.

    Parameters
    ----------
    info : MechInfo
        Of an ARTIFICIAL_CELL (``info.is_artificial``).
    digest : str
        Content hash, written in the generated header.

    Returns
    -------
    str
    """
    mod = info.mod
    variables = _artificial_names(info)
    inst = Instance("artificial", info.name)
    inst.names = set(info.range_params) | set(variables)
    inst.writable = set(inst.names)
    calls = set(mod.functions) | set(mod.procedures)
    parts, fields = _entry_points(info, inst, {}, calls)
    w = ScalarWriter(info, inst, "INITIAL", calls=calls)
    for name, value in info.state_start.items():  # NEURON: each STATE starts at its START value
        w.emit(w.write(name, repr(float(value)), 0))
    for name in info.states:
        if name not in info.state_start:
            w.emit(w.write(name, "0.0", 0))
    body = mod.initial.body if mod.initial is not None else ()
    parts.append(w.function("instance_initial", ["obj", "t"], body, doc="INITIAL (states at their START value first)."))
    parts += _called_functions(info, inst, {}, calls)
    cls = _class_source(info, variables, fields)
    head = _ARTIFICIAL_HEADER.format(path=mod.path, digest=digest)
    return head + "\n\n".join(p.rstrip() for p in parts + [cls]) + "\n"


def _class_source(info, variables, fields):
    mod = info.mod
    lines = [
        f"class {info.name}(_ArtificialCell):",
        f'    """ARTIFICIAL_CELL {info.name}, translated from a mod file (see ``origin``)."""',
        "",
        f"    mechanism_name = {info.name!r}",
        f"    origin = {info.where(mod.kind_line)!r}",
        f"    parameters = {_floats(info.range_params)}",
        f"    variables = {_floats(variables)}",
        f"    global_defaults = {_floats(info.global_params)}",
        f"    n_weights = {fields['n_weights']}",
        "    net_receive = staticmethod(net_receive)",
    ]
    if "net_init" in fields:
        lines.append("    net_init = staticmethod(net_init)")
    if info.global_params:
        lines += [
            "",
            "    def __init__(self, sim=None, **values):",
            "        super().__init__(sim, **values)",
            "        self.sim.mech_globals.setdefault(self.mechanism_name, dict(self.global_defaults))",
        ]
    lines += ["", "    def initial(self):", "        instance_initial(self, self.sim.t)"]
    for fn in sorted(list(mod.functions.values()) + list(mod.procedures.values()), key=lambda f: f.name):
        ret = "return " if fn.kind == "FUNCTION" else ""
        args = "".join(f", {a}" for a in _py_args(fn.args))
        lines += [
            "",
            f"    def {fn.name}(self{args}):",
            f'        """{fn.kind} {fn.name} of the mod file, at the present time."""',
            f"        {ret}_fn_{fn.name}(self, self.sim.t{args})",
        ]
    lines += ["", "", f"SPEC = {info.name}"]
    return "\n".join(lines)


def _py_args(args):
    out = []
    for a in args:
        py = a
        while keyword.iskeyword(py) or py in ("self",) or py in out:
            py += "_"
        out.append(py)
    return out


def _floats(d):
    return "{" + ", ".join(f"{k!r}: {float(v)!r}" for k, v in d.items()) + "}"
