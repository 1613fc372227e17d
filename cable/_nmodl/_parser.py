"""A recursive-descent parser for the NMODL subset that ``load_mechanisms`` supports.

Grammar (informally)::

    file       := item*
    item       := TITLE | NEURON {..} | UNITS {..} | PARAMETER {..} | ASSIGNED {..}
                | STATE {..} | CONSTANT {..} | INDEPENDENT {..} | UNITSOFF | UNITSON
                | INITIAL block | BREAKPOINT block | DERIVATIVE name block
                | KINETIC name block | PROCEDURE name(args) block
                | FUNCTION name(args) [units] block | NET_RECEIVE(args) block
    block      := '{' statement* '}'
    statement  := LOCAL names | TABLE .. | SOLVE .. | if (e) block [else (if..|block)]
                | name' = e | name = e | name(args) | ~ reaction | CONSERVE e = e
                | COMPARTMENT e {names} | block | UNITSOFF | UNITSON
    e          := or;  or := and (|| and)*;  and := cmp (&& cmp)*
    cmp        := add (op add)*;  add := mul ((+|-) mul)*;  mul := unary ((*|/) unary)*
    unary      := (-|!|+) unary | power;  power := atom [^ unary]
    atom       := number | name | name(args) | (e)

Anything else (VERBATIM, LINEAR, NONLINEAR, loops, POINTER, ...) raises a
:class:`ModSyntaxError` that names the file, the line and the construct.
"""

from . import _ast as A
from ._lexer import ModSyntaxError, tokenize

__all__ = ["parse", "ModSyntaxError"]

_DECL_BLOCKS = {"PARAMETER": "parameters", "ASSIGNED": "assigned", "STATE": "states", "CONSTANT": "constants"}
_UNSUPPORTED_TOP = {
    "LINEAR",
    "NONLINEAR",
    "DISCRETE",
    "PARTIAL",
    "FUNCTION_TABLE",
    "BEFORE",
    "AFTER",
    "CONSTRUCTOR",
    "DESTRUCTOR",
    "INCLUDE",
    "DEFINE",
    "LOCAL",
    "STEPPED",
    "PLOT",
    "SENS",
    "MATCH",
}
_UNSUPPORTED_STMT = {
    "while",
    "FROM",
    "FOR_NETCONS",
    "WATCH",
    "LAG",
    "SOLVEFOR",
    "MATCH",
    "PROTECT",
    "MUTEXLOCK",
    "MUTEXUNLOCK",
    "SENS",
    "RESET",
    "LINEAR",
    "NONLINEAR",
    "DISCRETE",
    "PARTIAL",
    "LAG",
}
_CMP = ("<", ">", "<=", ">=", "==", "!=")


def parse(text, filename="<string>"):
    """Parse NMODL source into a :class:`ModFile`.

    Parameters
    ----------
    text : str
    filename : str
        Used in error messages (``file:line: ...``).

    Returns
    -------
    ModFile

    Raises
    ------
    ModSyntaxError
        For malformed text or a construct outside the subset.

    Examples
    --------
    >>> mod = parse("NEURON { SUFFIX leak RANGE g } PARAMETER { g = 0.001 (S/cm2) }")
    >>> mod.name, mod.parameters["g"].value
    ('leak', 0.001)
    """
    return _Parser(tokenize(text, filename), filename).file()


class _Parser:
    def __init__(self, tokens, filename):
        self.toks = tokens
        self.i = 0
        self.filename = filename
        self.in_net_receive = False

    # -- token helpers ---------------------------------------------------------------
    @property
    def tok(self):
        return self.toks[self.i]

    def peek(self, k=1):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def error(self, message, line=None):
        return ModSyntaxError(f"{self.filename}:{line or self.tok.line}: {message}")

    def at(self, text):
        t = self.tok
        return t.text == text and t.kind in ("op", "name")

    def accept(self, text):
        if self.at(text):
            return self.next()
        return None

    def expect(self, text, what=None):
        if not self.at(text):
            raise self.error(f"expected '{text}'{' ' + what if what else ''}, found {self._shown()}")
        return self.next()

    def name(self, what="a name"):
        t = self.tok
        if t.kind != "name":
            raise self.error(f"expected {what}, found {self._shown()}")
        return self.next().text

    def _shown(self):
        t = self.tok
        return "the end of the file" if t.kind == "end" else repr(t.text)

    def number(self):
        """A signed number literal."""
        sign = -1.0 if self.accept("-") else 1.0
        if sign > 0:
            self.accept("+")
        t = self.tok
        if t.kind != "number":
            raise self.error(f"expected a number, found {self._shown()}")
        self.next()
        return sign * float(t.text)

    def units(self):
        """An optional unit in parentheses, as written (``(mA/cm2)`` -> ``'mA/cm2'``)."""
        if not self.at("("):
            return None
        open_ = self.next()
        depth = 1
        while depth:
            t = self.next()
            if t.kind == "end":
                raise self.error("unclosed '(' in a unit", open_.line)
            depth += {"(": 1, ")": -1}.get(t.text, 0) if t.kind == "op" else 0
        text = self._source_between(open_.stop, self.toks[self.i - 1].start)
        return " ".join(text.split())

    def _source_between(self, start, stop):
        toks = [t for t in self.toks if start <= t.start and t.stop <= stop]
        out = ""
        for k, t in enumerate(toks):
            if k and t.start > toks[k - 1].stop:
                out += " "
            out += t.text
        return out

    def skip_braces(self):
        self.expect("{")
        depth = 1
        while depth:
            t = self.next()
            if t.kind == "end":
                raise self.error("missing '}'")
            if t.kind == "op":
                depth += {"{": 1, "}": -1}.get(t.text, 0)

    # -- file ------------------------------------------------------------------------
    def file(self):
        mod = A.ModFile(path=self.filename)
        mod.identifiers = frozenset(t.text for t in self.toks if t.kind == "name")
        while self.tok.kind != "end":
            t = self.tok
            if t.kind == "title":
                mod.title = self.next().text
            elif t.kind == "verbatim":
                raise self.error("VERBATIM (C code) is not supported", t.line)
            elif t.kind != "name":
                raise self.error(f"expected a block keyword (NEURON, PARAMETER, ...), found {self._shown()}")
            else:
                self.item(mod, t)
        return mod

    def item(self, mod, t):
        word = t.text
        if word == "NEURON":
            self.next()
            self.neuron_block(mod)
        elif word == "UNITS":
            self.next()
            self.units_block(mod)
        elif word in _DECL_BLOCKS:
            self.next()
            self.declarations(getattr(mod, _DECL_BLOCKS[word]), word)
        elif word == "INDEPENDENT":
            self.next()
            self.skip_braces()
        elif word in ("UNITSOFF", "UNITSON"):
            self.next()
        elif word in ("INITIAL", "BREAKPOINT"):
            self.next()
            if getattr(mod, word.lower()) is not None:
                raise self.error(f"a second {word} block", t.line)
            setattr(mod, word.lower(), A.Function(word, word, (), self.block(), t.line))
        elif word in ("DERIVATIVE", "KINETIC"):
            self.next()
            name = self.name(f"the name of the {word} block")
            table = mod.derivatives if word == "DERIVATIVE" else mod.kinetics
            self._define(mod, name, t.line)
            table[name] = A.Function(word, name, (), self.block(), t.line)
        elif word in ("PROCEDURE", "FUNCTION"):
            self.next()
            name = self.name(f"the name of the {word}")
            args = self.arglist()
            if word == "FUNCTION":
                self.units()
            self._define(mod, name, t.line)
            table = mod.procedures if word == "PROCEDURE" else mod.functions
            table[name] = A.Function(word, name, args, self.block(), t.line)
        elif word == "NET_RECEIVE":
            self.next()
            args = self.arglist()
            self.in_net_receive = True
            body = self.block()
            self.in_net_receive = False
            mod.net_receive = A.Function("NET_RECEIVE", "NET_RECEIVE", args, body, t.line)
        elif word in _UNSUPPORTED_TOP:
            raise self.error(f"{word} blocks are not supported", t.line)
        else:
            raise self.error(f"unknown block {word!r}", t.line)

    def _define(self, mod, name, line):
        for table in (mod.derivatives, mod.kinetics, mod.procedures, mod.functions):
            if name in table:
                raise self.error(f"{name!r} is defined twice", line)

    def arglist(self):
        """``(a (mV), b)`` -> ('a', 'b')."""
        self.expect("(")
        args = []
        while not self.at(")"):
            args.append(self.name("an argument name"))
            self.units()
            if not self.accept(","):
                break
        self.expect(")")
        return tuple(args)

    # -- declaration blocks --------------------------------------------------------------
    def neuron_block(self, mod):
        self.expect("{")
        while not self.accept("}"):
            t = self.tok
            if t.kind == "end":
                raise self.error("missing '}' of the NEURON block")
            if t.kind == "verbatim":
                raise self.error("VERBATIM (C code) is not supported")
            word = self.name("a NEURON block statement")
            if word in ("SUFFIX", "POINT_PROCESS", "ARTIFICIAL_CELL"):
                if mod.kind:
                    raise self.error(f"{word} after {mod.kind}: a file defines one mechanism", t.line)
                mod.kind, mod.name, mod.kind_line = word, self.name(f"the {word} name"), t.line
            elif word == "USEION":
                mod.useions.append(self.useion(t.line))
            elif word in ("NONSPECIFIC_CURRENT", "ELECTRODE_CURRENT", "RANGE", "GLOBAL"):
                attr = {
                    "NONSPECIFIC_CURRENT": "nonspecific",
                    "ELECTRODE_CURRENT": "electrode",
                    "GLOBAL": "globals",
                }.get(word, word.lower())
                getattr(mod, attr).extend((n, t.line) for n in self.names())
            elif word == "THREADSAFE":
                if self.tok.kind == "name" and not self._is_neuron_keyword(self.tok.text):
                    self.names()
            elif word in ("POINTER", "BBCOREPOINTER", "EXTERNAL", "SECTION", "REPRESENTS"):
                raise self.error(f"{word} in the NEURON block is not supported", t.line)
            else:
                raise self.error(f"unknown NEURON block statement {word!r}", t.line)

    @staticmethod
    def _is_neuron_keyword(word):
        return word in {
            "SUFFIX",
            "POINT_PROCESS",
            "ARTIFICIAL_CELL",
            "USEION",
            "NONSPECIFIC_CURRENT",
            "ELECTRODE_CURRENT",
            "RANGE",
            "GLOBAL",
            "THREADSAFE",
            "POINTER",
            "BBCOREPOINTER",
            "EXTERNAL",
        }

    def names(self):
        out = [self.name()]
        while self.accept(","):
            out.append(self.name())
        return out

    def useion(self, line):
        ion = self.name("an ion name")
        read, write, valence = [], [], None
        while True:
            if self.accept("READ"):
                read += self.names()
            elif self.accept("WRITE"):
                write += self.names()
            elif self.accept("VALENCE"):
                valence = self.number()
            elif self.at("REPRESENTS"):
                raise self.error("USEION ... REPRESENTS is not supported")
            else:
                break
        return A.UseIon(ion, tuple(read), tuple(write), valence, line)

    def units_block(self, mod):
        self.expect("{")
        while not self.accept("}"):
            t = self.tok
            if t.kind == "end":
                raise self.error("missing '}' of the UNITS block")
            if self.at("("):  # (mV) = (millivolt): a unit alias, read and ignored
                self.units()
                self.expect("=", "in a unit declaration")
                if self.units() is None:
                    raise self.error("expected a unit in parentheses after '='")
                continue
            name = self.name("a unit declaration")
            self.expect("=", f"after {name} in the UNITS block")
            if self.at("("):
                mod.units[name] = ("factor", self.units(), self.units(), t.line)
            else:
                mod.units[name] = ("value", self.number(), self.units(), t.line)

    def declarations(self, table, block):
        self.expect("{")
        while not self.accept("}"):
            t = self.tok
            if t.kind == "end":
                raise self.error(f"missing '}}' of the {block} block")
            name = self.name(f"a {block} name")
            if self.at("["):
                raise self.error(f"array variables ({name}[...]) are not supported", t.line)
            value = None
            if self.accept("="):
                value = self.number()
            units = self.units()
            if self.accept("FROM"):  # STATE x FROM 0 TO 1: bounds, read and ignored
                self.number()
                self.expect("TO")
                self.number()
            if self.accept("START"):
                value = self.number()
            if self.accept("<"):  # g = 1 <0, 1e9> (limits) or cai <1e-10> (tolerance): ignored
                self.number()
                if self.accept(","):
                    self.number()
                self.expect(">")
            if name in table:
                raise self.error(f"{name!r} is declared twice in {block}", t.line)
            table[name] = A.Declaration(name, value, units, t.line)
            self.accept(",")

    # -- statements ------------------------------------------------------------------------
    def block(self):
        self.expect("{")
        body = []
        while not self.accept("}"):
            if self.tok.kind == "end":
                raise self.error("missing '}'")
            stmt = self.statement()
            if stmt is not None:
                body.append(stmt)
        return tuple(body)

    def statement(self):
        t = self.tok
        if t.kind == "verbatim":
            raise self.error("VERBATIM (C code) is not supported")
        if t.kind == "op":
            if t.text == "~":
                self.next()
                return self.reaction(t.line)
            if t.text == "{":
                return A.Block(self.block(), t.line)
            raise self.error(f"unexpected {self._shown()}")
        if t.kind != "name":
            raise self.error(f"expected a statement, found {self._shown()}")
        word = t.text
        if word in ("UNITSOFF", "UNITSON"):
            self.next()
            return None
        if word == "LOCAL":
            self.next()
            return A.Local(tuple(self.names()), t.line)
        if word == "TABLE":
            self.next()
            return self.table(t.line)
        if word == "SOLVE":
            self.next()
            return self.solve(t.line)
        if word == "if":
            self.next()
            return self.if_statement(t.line)
        if word == "CONSERVE":
            self.next()
            lhs = self.expr()
            self.expect("=", "in CONSERVE")
            return A.Conserve(lhs, self.expr(), t.line)
        if word == "COMPARTMENT":
            self.next()
            volume = self.expr()
            if self.accept(","):
                raise self.error("indexed COMPARTMENT (arrays) is not supported", t.line)
            self.expect("{")
            names = []
            while not self.accept("}"):
                names.append(self.name("a state name"))
            return A.Compartment(volume, tuple(names), t.line)
        if word in ("INITIAL",) and self.in_net_receive:
            self.next()
            return A.Function("INITIAL", "INITIAL", (), self.block(), t.line)
        if word in _UNSUPPORTED_STMT or word == "else":
            if self.in_net_receive and word != "else":
                return self._skip_unsupported(word, t.line)
            raise self.error(f"{word!r} is not supported here", t.line)
        name = self.next().text
        if self.accept("'"):
            if self.at("'"):
                raise self.error("higher derivatives (x'') are not supported", t.line)
            self.expect("=", f"after {name}'")
            return A.Prime(name, self.expr(), t.line)
        if self.accept("="):
            return A.Assign(name, self.expr(), t.line)
        if self.at("("):
            return A.CallStmt(A.Call(name, self.call_args(), t.line), t.line)
        if self.at("["):
            raise self.error(f"array variables ({name}[...]) are not supported", t.line)
        raise self.error(f"expected '=', \"'\" or '(' after {name!r}, found {self._shown()}")

    def _skip_unsupported(self, word, line):
        """Skip a statement inside NET_RECEIVE (WATCH, FOR_NETCONS, ...), kept as a marker
        that the translator reports with its line."""
        self.next()
        depth = 0
        while True:
            t = self.tok
            if t.kind == "end":
                raise self.error("unexpected end of file")
            if t.text in ("(", "{"):
                depth += 1
            elif t.text in (")", "}"):
                if depth == 0:
                    break
                depth -= 1
                if depth == 0 and t.text == "}":
                    self.next()
                    break
            elif depth == 0 and t.line != line:
                break
            self.next()
        return A.Unsupported(word, line)

    def call_args(self):
        self.expect("(")
        args = []
        while not self.at(")"):
            args.append(self.expr())
            if not self.accept(","):
                break
        self.expect(")", "closing the argument list")
        return tuple(args)

    def if_statement(self, line):
        self.expect("(", "after if")
        cond = self.expr()
        self.expect(")", "closing the if condition")
        then = self.block()
        orelse = ()
        if self.accept("else"):
            if self.at("if"):
                t = self.next()
                orelse = (self.if_statement(t.line),)
            else:
                orelse = self.block()
        return A.If(cond, then, orelse, line)

    def table(self, line):
        names = []
        if self.tok.kind == "name" and self.tok.text not in ("DEPEND", "FROM"):
            names = self.names()
        depend = []
        if self.accept("DEPEND"):
            depend = self.names()
        self.expect("FROM", "in TABLE")
        lo = self.expr()
        self.expect("TO", "in TABLE")
        hi = self.expr()
        self.expect("WITH", "in TABLE")
        t = self.tok
        if t.kind != "number" or not t.text.isdigit():
            raise self.error("TABLE ... WITH needs a whole number of intervals")
        self.next()
        return A.Table(tuple(names), tuple(depend), lo, hi, int(t.text), line)

    def solve(self, line):
        block = self.name("the name of the block to SOLVE")
        method, steady = None, False
        if self.accept("METHOD"):
            method = self.name("a method name")
        elif self.accept("STEADYSTATE"):
            method, steady = self.name("a method name"), True
        if self.accept("IFERROR"):
            raise self.error("SOLVE ... IFERROR is not supported", line)
        return A.Solve(block, method, steady, line)

    def reaction(self, line):
        lhs = self.species()
        if self.accept("<<"):
            if len(lhs) != 1 or lhs[0][0] != 1:
                raise self.error("'~ x << (flux)' takes one state on the left", line)
            self.expect("(")
            flux = self.expr()
            self.expect(")")
            return A.Reaction("<<", lhs, (), flux, None, line)
        if self.at("->"):
            raise self.error("one-way reactions '->' are not supported; write '<->' with a zero backward rate", line)
        self.expect("<->", "in a reaction")
        rhs = self.species()
        self.expect("(", "before the reaction rates")
        kf = self.expr()
        self.expect(",", "between the forward and backward rates")
        kb = self.expr()
        self.expect(")", "after the reaction rates")
        return A.Reaction("<->", lhs, rhs, kf, kb, line)

    def species(self):
        """``2ca + B`` -> ((2, 'ca'), (1, 'B'))."""
        out = []
        while True:
            coef = 1
            if self.tok.kind == "number":
                text = self.next().text
                if not text.isdigit():
                    raise self.error(f"a stoichiometric coefficient must be a whole number, got {text}")
                coef = int(text)
            out.append((coef, self.name("a state name")))
            if not self.accept("+"):
                return tuple(out)

    # -- expressions -------------------------------------------------------------------------
    def expr(self):
        return self._binary(0)

    _LEVELS = (("||",), ("&&",), _CMP, ("+", "-"), ("*", "/"))

    def _binary(self, level):
        if level == len(self._LEVELS):
            return self.unary()
        left = self._binary(level + 1)
        ops = self._LEVELS[level]
        while self.tok.kind == "op" and self.tok.text in ops:
            t = self.next()
            left = A.BinOp(t.text, left, self._binary(level + 1), t.line)
        return left

    def unary(self):
        t = self.tok
        if t.kind == "op" and t.text in ("-", "!", "+"):
            self.next()
            operand = self.unary()
            return operand if t.text == "+" else A.UnaryOp(t.text, operand, t.line)
        return self.power()

    def power(self):
        base = self.atom()
        if self.at("^"):
            t = self.next()
            return A.BinOp("^", base, self.unary(), t.line)
        return base

    def atom(self):
        t = self.tok
        if t.kind == "number":
            self.next()
            return A.Num(float(t.text), t.line)
        if t.kind == "name":
            self.next()
            if self.at("("):
                return A.Call(t.text, self.call_args(), t.line)
            if self.at("["):
                raise self.error(f"array variables ({t.text}[...]) are not supported", t.line)
            return A.Name(t.text, t.line)
        if self.accept("("):
            e = self.expr()
            self.expect(")", "closing '('")
            return e
        raise self.error(f"expected an expression, found {self._shown()}")
