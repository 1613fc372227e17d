"""KINETIC schemes: mass-action reactions into derivatives, COMPARTMENT volumes, and
CONSERVE honoured as NEURON does, by replacing one state's equation.

* ``~ A + 2B <-> C (kf, kb)``: flux = kf A B^2 - kb C; dA -= flux, dB -= 2 flux,
  dC += flux. ``~ A << (f)``: dA += f.
* ``COMPARTMENT vol {A B}``: dA/dt = (sum of A's fluxes) / vol.
* ``CONSERVE c1 A + c2 B = total``: NEURON solves the scheme with the equation of the
  last state named replaced by ``sum(c_k vol_k x_k) = total`` (each state weighted by
  its COMPARTMENT volume). Here that state is eliminated: it is computed from the others
  wherever it is read, and reported as an assigned output.
* The Jacobian NEURON's ``sparse`` method uses (:class:`Scheme`): each reaction's mass
  action differentiated with its rates held fixed; a ``<<`` flux adds nothing.
"""

from dataclasses import dataclass, field

import sympy as sp

from . import _ast as A
from ._emit import ADD, MUL, POW, UNARY, Val, _E, _wrap, to_code

__all__ = [
    "Scheme",
    "accumulate",
    "reaction",
    "compartment",
    "divided",
    "conserved_states",
    "eliminate",
    "has_prime",
]


@dataclass
class Scheme:
    """The Jacobian of a KINETIC block as NEURON's ``sparse`` builds it (nocmodl's
    MATELM terms): ``terms[(row, column)]`` is the sympy sum d(row's reactions)/d(column)
    with every rate held fixed (a rate that depends on a state is not differentiated) and
    ``<<`` fluxes left out; COMPARTMENT volumes and CONSERVE are applied by the caller.

    Attributes
    ----------
    terms : dict (str, str) -> sympy expression
    linear : bool
        Every ``<->`` reaction has one species with coefficient 1 on each side (NEURON
        then takes a single Newton step).
    exact : bool
        False when a reaction sits inside ``if``/``else`` (no closed form is written then).
    """

    terms: dict = field(default_factory=dict)
    linear: bool = True
    exact: bool = True

    def add(self, row, column, term):
        self.terms[row, column] = self.terms.get((row, column), 0) + term

    def record(self, em, stmt, kf, kb):
        """The terms of one ``<->`` reaction with rate expressions ``kf``, ``kb`` (sympy)."""
        if em._depth_if:
            self.exact = False
        if len(stmt.lhs) != 1 or len(stmt.rhs) != 1 or any(c != 1 for c, _ in stmt.lhs + stmt.rhs):
            self.linear = False
        syms = {n: em._from_val(em.read(n, stmt.line)).sym for _, n in stmt.lhs + stmt.rhs}
        for side, rate, sign in ((stmt.lhs, kf, 1), (stmt.rhs, kb, -1)):
            mono = sp.Mul(*[syms[n] ** c for c, n in side])
            for column in dict.fromkeys(n for _, n in side):
                dflux = sign * rate * sp.diff(mono, syms[column])
                for c, row in stmt.lhs:
                    self.add(row, column, -c * dflux)
                for c, row in stmt.rhs:
                    self.add(row, column, c * dflux)


def has_prime(body):
    """Whether a block has an ``x' = ...`` statement (at any depth of if/else)."""
    for stmt in body:
        if isinstance(stmt, A.Prime):
            return True
        if isinstance(stmt, A.If) and (has_prime(stmt.then) or has_prime(stmt.orelse)):
            return True
        if isinstance(stmt, A.Block) and has_prime(stmt.body):
            return True
    return False


def accumulate(em, state, val, sign):
    """Add (sign '+') or subtract ``val`` to the derivative of ``state``."""
    key = state + "'"
    old = em.module.get(key)
    if old is None:
        if sign == "+":
            new = val
        else:
            e = em._from_val(val)
            new = em.materialize("d" + state, _E(f"-{_wrap(e, UNARY)}", UNARY, e.vector, -e.sym, e.deps))
    else:
        a, b = em._from_val(old), em._from_val(val)
        code = f"{a.code} {sign} {_wrap(b, ADD + 1)}"
        sym = a.sym + b.sym if sign == "+" else a.sym - b.sym
        new = em.materialize("d" + state, _E(code, ADD, a.vector or b.vector, sym, a.deps | b.deps))
    em.module[key] = new
    return new


def reaction(em, stmt):
    """One ``~`` statement of a KINETIC block."""
    if not em._kinetic:
        raise em.error(stmt.line, "a reaction (~) outside a KINETIC block")
    for _, name in stmt.lhs + stmt.rhs:
        if em.info.category(name) != "state":
            raise em.error(stmt.line, f"reaction species {name!r} is not a STATE")
    if stmt.kind == "<<":
        flux = em.materialize("flux", em.expr(stmt.kf))
        accumulate(em, stmt.lhs[0][1], flux, "+")
        return
    kf, kb = em.expr(stmt.kf), em.expr(stmt.kb)
    forward = _mass_action(em, kf, stmt.lhs, stmt.line)
    backward = _mass_action(em, kb, stmt.rhs, stmt.line)
    scheme = getattr(em, "scheme", None)
    if scheme is not None:
        scheme.record(em, stmt, kf.sym, kb.sym)
    code = f"{_wrap(forward, ADD)} - {_wrap(backward, ADD + 1)}"
    vec = forward.vector or backward.vector
    flux = em.materialize("flux", _E(code, ADD, vec, forward.sym - backward.sym, forward.deps | backward.deps))
    for coef, name in stmt.lhs:
        accumulate(em, name, flux if coef == 1 else _scaled(em, flux, coef), "-")
    for coef, name in stmt.rhs:
        accumulate(em, name, flux if coef == 1 else _scaled(em, flux, coef), "+")


def _scaled(em, val, coef):
    e = em._from_val(val)
    return em.materialize("flux", _E(f"{float(coef)!r}*{_wrap(e, MUL + 1)}", MUL, e.vector, coef * e.sym, e.deps))


def _mass_action(em, rate, species, line):
    out = rate
    for coef, name in species:
        s = em._from_val(em.read(name, line))
        if coef != 1:
            s = _E(f"{_wrap(s, POW + 1)}**{float(coef)!r}", POW, s.vector, s.sym**coef, s.deps)
        out = _E(
            f"{_wrap(out, MUL)}*{_wrap(s, MUL + 1)}", MUL, out.vector or s.vector, out.sym * s.sym, out.deps | s.deps
        )
    return out


def compartment(em, stmt):
    """``COMPARTMENT vol {states}``: remember each state's volume."""
    if not em._kinetic:
        raise em.error(stmt.line, "COMPARTMENT outside a KINETIC block")
    vol = em.materialize("vol", em.expr(stmt.volume))
    for name in stmt.names:
        if em.info.category(name) != "state":
            raise em.error(stmt.line, f"COMPARTMENT lists {name!r}, which is not a STATE")
        em.compartments[name] = vol


def divided(em, d, vol):
    """The expression d / vol."""
    a, b = em._from_val(d), em._from_val(vol)
    return _E(f"{_wrap(a, MUL)}/{_wrap(b, MUL + 1)}", MUL, a.vector or b.vector, a.sym / b.sym, a.deps | b.deps)


# -- CONSERVE -------------------------------------------------------------------------------
def conserved_states(info, block):
    """``{state: (CONSERVE statement, coefficients, volumes)}``: the state each CONSERVE
    eliminates (the last it names that no earlier CONSERVE took, as NEURON)."""
    out = {}
    volumes = {}
    for stmt in block.body:
        if isinstance(stmt, A.Compartment):
            for name in stmt.names:
                volumes[name] = stmt.volume
    for stmt in block.body:
        if not isinstance(stmt, A.Conserve):
            continue
        coefs = _linear_coefficients(info, stmt)
        for name in _names(stmt.rhs):
            if info.category(name) not in ("range", "global", "const", "ctx", "geometry"):
                raise info.error(stmt.line, f"CONSERVE: the total may use parameters and constants only, not {name!r}")
        candidates = [n for n in coefs if n not in out]
        if not candidates:
            raise info.error(stmt.line, "CONSERVE: every state it names is already conserved by another CONSERVE")
        out[candidates[-1]] = (stmt, coefs, {n: volumes[n] for n in coefs if n in volumes})
    return out


def eliminate(em, entry, name, read_state):
    """Bind the conserved state ``name`` in the prologue of ``em``:
    x = (total - sum over the others of c_k vol_k x_k) / (c vol)."""
    stmt, coefs, volumes = entry
    sym = em.expr(stmt.rhs).sym
    for other, c in coefs.items():
        if other != name:
            weight = c * (em.expr(volumes[other]).sym if other in volumes else 1)
            sym = sym - weight * read_state(other).sym
    sym = sym / (coefs[name] * (em.expr(volumes[name]).sym if name in volumes else 1))
    py = em.fresh(name)
    em.prologue.append(f"{py} = {to_code(sym)}")
    em.defs[py] = sym
    em.deps[py] = em.deps_of(sym)
    val = Val(py, True, sp.Symbol(py))
    em.bound[name] = val
    return val


def _names(node):
    if isinstance(node, A.Name):
        return {node.name}
    if isinstance(node, A.Call):
        return set().union(*(_names(a) for a in node.args)) if node.args else set()
    if isinstance(node, A.BinOp):
        return _names(node.left) | _names(node.right)
    if isinstance(node, A.UnaryOp):
        return _names(node.operand)
    return set()


def _linear_coefficients(info, stmt):
    """``{state: coefficient}`` of a CONSERVE's left side, in the order the states appear."""
    order = []

    def walk(node):
        if isinstance(node, A.Name):
            if info.category(node.name) == "state" and node.name not in order:
                order.append(node.name)
            return sp.Symbol(node.name)
        if isinstance(node, A.Num):
            return sp.Float(node.value)
        if isinstance(node, A.UnaryOp) and node.op == "-":
            return -walk(node.operand)
        if isinstance(node, A.BinOp) and node.op in ("+", "-", "*", "/"):
            a, b = walk(node.left), walk(node.right)
            return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[node.op]
        raise info.error(stmt.line, "CONSERVE: the left side must be a sum of states times numbers")

    lhs = walk(stmt.lhs)
    syms = [sp.Symbol(n) for n in order]
    coefs = {}
    for name, s in zip(order, syms):
        c = sp.diff(lhs, s)
        if c.free_symbols:
            raise info.error(stmt.line, "CONSERVE: the left side must be a sum of states times numbers")
        coefs[name] = float(c)
    if not coefs:
        raise info.error(stmt.line, "CONSERVE names no state")
    if lhs.subs({s: 0 for s in syms}) != 0:
        raise info.error(stmt.line, "CONSERVE: move constant terms to the right side")
    return coefs
