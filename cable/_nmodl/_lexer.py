"""Tokens of an NMODL file.

Comments (``: ...``, ``? ...`` and ``COMMENT ... ENDCOMMENT``) are skipped; ``TITLE`` keeps
the rest of its line; ``VERBATIM ... ENDVERBATIM`` becomes one token, so the parser can
name its line when it refuses it. Every token carries its line and its character span,
so that a unit such as ``(k-mole)`` can be read back as written.
"""

import re
from dataclasses import dataclass

from .._errors import CableError

__all__ = ["Token", "tokenize", "ModSyntaxError"]


class ModSyntaxError(CableError):
    """A malformed or unsupported NMODL file; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class Token:
    """One token.

    Attributes
    ----------
    kind : str
        ``"name"``, ``"number"``, ``"op"``, ``"title"``, ``"verbatim"`` or ``"end"``.
    text : str
    line : int
        1-based line of the token's first character.
    start, stop : int
        Character span in the source.
    """

    kind: str
    text: str
    line: int
    start: int
    stop: int


_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = ("<->", "<<", "->", "==", "!=", "<=", ">=", "&&", "||")


def tokenize(text, filename="<string>"):
    """Split NMODL source into tokens.

    Parameters
    ----------
    text : str
    filename : str
        Used in error messages.

    Returns
    -------
    list of Token, ending with a token of kind ``"end"``.

    Examples
    --------
    >>> [t.text for t in tokenize("m' = (minf - m)/mtau : comment")][:-1]
    ['m', "'", '=', '(', 'minf', '-', 'm', ')', '/', 'mtau']
    """
    tokens = []
    pos, line, n = 0, 1, len(text)
    while pos < n:
        c = text[pos]
        if c == "\n":
            line += 1
            pos += 1
        elif c in " \t\r\f\v":
            pos += 1
        elif c in ":?":
            end = text.find("\n", pos)
            pos = n if end < 0 else end
        elif c.isalpha() or c == "_":
            m = _NAME.match(text, pos)
            word = m.group()
            if word == "COMMENT":
                pos, line = _skip_until(text, m.end(), line, "ENDCOMMENT", "COMMENT", filename)
            elif word == "VERBATIM":
                tokens.append(Token("verbatim", word, line, pos, m.end()))
                pos, line = _skip_until(text, m.end(), line, "ENDVERBATIM", "VERBATIM", filename)
            elif word == "TITLE":
                end = text.find("\n", pos)
                end = n if end < 0 else end
                tokens.append(Token("title", text[m.end() : end].strip(), line, pos, end))
                pos = end
            else:
                tokens.append(Token("name", word, line, pos, m.end()))
                pos = m.end()
        elif c.isdigit() or (c == "." and pos + 1 < n and text[pos + 1].isdigit()):
            m = _NUMBER.match(text, pos)
            tokens.append(Token("number", m.group(), line, pos, m.end()))
            pos = m.end()
        else:
            for op in _OPS:
                if text.startswith(op, pos):
                    break
            else:
                op = c
            tokens.append(Token("op", op, line, pos, pos + len(op)))
            pos += len(op)
    tokens.append(Token("end", "", line, n, n))
    return tokens


def _skip_until(text, pos, line, closing, opening, filename):
    """Position and line just after the word ``closing``."""
    m = re.compile(r"\b" + closing + r"\b").search(text, pos)
    if m is None:
        raise ModSyntaxError(f"{filename}:{line}: {opening} without {closing}")
    return m.end(), line + text.count("\n", pos, m.end())
