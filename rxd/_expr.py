"""Expressions over species, states and parameters, kept as sympy expressions.

Arithmetic on species (``ca[cyt] * 1000``) builds an :class:`Expr`; comparisons build
reaction schemes: ``a + b > c`` (one way), ``a + b < c`` (backward), ``a + b != c``
(reversible), as NEURON's rxd.
"""

import sympy

from ._errors import RxdError

__all__ = ["Expr", "Scheme", "as_expr", "atom_symbol"]


def atom_symbol(obj):
    """The sympy symbol standing for a species (on a region), state or parameter.

    The symbol's name is unique per object; the object is kept in ``ATOMS`` by symbol
    through the symbol's assumptions-free name and looked up by the compiler.
    """
    sym = getattr(obj, "_symbol", None)
    if sym is None:
        raise RxdError(f"{obj!r} cannot be used in an rxd expression")
    return sym


class Expr:
    """An rxd expression: a sympy expression plus the objects its symbols stand for.

    Attributes
    ----------
    sym : sympy.Expr
    atoms : dict sympy.Symbol -> object
        Species, species on a region, or parameter for each symbol.
    """

    __array_priority__ = 1000

    def __init__(self, sym, atoms):
        self.sym = sym
        self.atoms = atoms

    def __repr__(self):
        return f"Expr({self.sym})"

    def __str__(self):
        return str(self.sym)

    def _binary(self, other, op, reverse=False):
        o = as_expr(other)
        atoms = {**self.atoms, **o.atoms}
        a, b = (o.sym, self.sym) if reverse else (self.sym, o.sym)
        return Expr(op(a, b), atoms)

    def __add__(self, other):
        return self._binary(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._binary(other, lambda a, b: a + b, True)

    def __sub__(self, other):
        return self._binary(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._binary(other, lambda a, b: a - b, True)

    def __mul__(self, other):
        return self._binary(other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._binary(other, lambda a, b: a * b, True)

    def __truediv__(self, other):
        return self._binary(other, lambda a, b: a / b)

    def __rtruediv__(self, other):
        return self._binary(other, lambda a, b: a / b, True)

    def __pow__(self, other):
        return self._binary(other, lambda a, b: a**b)

    def __rpow__(self, other):
        return self._binary(other, lambda a, b: a**b, True)

    def __neg__(self):
        return Expr(-self.sym, self.atoms)

    def __pos__(self):
        return self

    # reaction schemes
    def __gt__(self, other):
        return Scheme(self, as_expr(other), reversible=False)

    def __lt__(self, other):
        return Scheme(as_expr(other), self, reversible=False)

    def __ne__(self, other):
        return Scheme(self, as_expr(other), reversible=True)

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__

    def __bool__(self):
        raise RxdError(f"the rxd expression {self.sym} has no truth value; use it in a Reaction or Rate")


class Scheme:
    """A reaction scheme ``lhs > rhs`` or ``lhs != rhs``: stoichiometries by atom."""

    def __init__(self, lhs, rhs, reversible):
        self.lhs = lhs
        self.rhs = rhs
        self.reversible = reversible

    def __repr__(self):
        arrow = "<->" if self.reversible else "->"
        return f"{self.lhs.sym} {arrow} {self.rhs.sym}"

    def stoichiometry(self, side):
        """{atom object: integer coefficient} of one side ('lhs' or 'rhs')."""
        e = getattr(self, side)
        out = {}
        if e.sym == 0:
            return out
        for term, coeff in sympy.expand(e.sym).as_coefficients_dict().items():
            if term not in e.atoms:
                raise RxdError(
                    f"reaction side {e.sym} must be a sum of species with integer coefficients, found {term}"
                )
            if not (coeff.is_integer and coeff > 0):
                raise RxdError(f"stoichiometric coefficient {coeff} of {term} must be a positive integer")
            out[e.atoms[term]] = int(coeff)
        return out

    def __bool__(self):
        raise RxdError(f"the reaction scheme {self!r} has no truth value; pass it to Reaction(...)")


def as_expr(value):
    """Wrap a number, species, state, parameter or Expr as an :class:`Expr`."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Expr(sympy.Float(value) if isinstance(value, float) else sympy.Integer(value), {})
    sym = getattr(value, "_symbol", None)
    if sym is not None:
        return Expr(sym, {sym: value})
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return as_expr(value.item())
    except ImportError:  # pragma: no cover
        pass
    raise RxdError(f"cannot use {value!r} in an rxd expression (expected a number, species or parameter)")
