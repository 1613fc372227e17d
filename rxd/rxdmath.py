"""Math functions for rxd expressions (NEURON's ``rxd.rxdmath``)."""

import sympy

from ._expr import Expr, as_expr

__all__ = [
    "exp", "log", "log10", "sqrt", "tanh", "sinh", "cosh", "sin", "cos", "tan",
    "fabs", "pow", "erf", "erfc", "atan", "asin", "acos", "floor", "ceil",
    "vtrap",
]


def _unary(fn):
    def f(x):
        e = as_expr(x)
        return Expr(fn(e.sym), dict(e.atoms))

    return f


exp = _unary(sympy.exp)
log = _unary(sympy.log)
log10 = _unary(lambda s: sympy.log(s, 10))
sqrt = _unary(sympy.sqrt)
tanh = _unary(sympy.tanh)
sinh = _unary(sympy.sinh)
cosh = _unary(sympy.cosh)
sin = _unary(sympy.sin)
cos = _unary(sympy.cos)
tan = _unary(sympy.tan)
atan = _unary(sympy.atan)
asin = _unary(sympy.asin)
acos = _unary(sympy.acos)
fabs = _unary(sympy.Abs)
erf = _unary(sympy.erf)
erfc = _unary(sympy.erfc)
floor = _unary(sympy.floor)
ceil = _unary(sympy.ceiling)


def pow(x, y):  # noqa: A001 - NEURON's name
    """x ** y."""
    return as_expr(x) ** y


def vtrap(x, y):
    """x / (exp(x / y) - 1), NEURON's trap for the 0/0 at x = 0."""
    e = as_expr(x)
    return e / (exp(e / y) - 1)
