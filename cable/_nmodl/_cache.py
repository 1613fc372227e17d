"""Translated mechanisms, cached: in this process by content hash, and on disk as the
generated Python source (``<cache dir>/<file stem>_<hash>.py``), so a second load, in
this process or the next, neither parses nor translates.

The cache directory is ``$RXDKIT_CACHE_DIR/nmodl`` if set, else
``$XDG_CACHE_HOME/rxdkit/nmodl``, else ``~/.cache/rxdkit/nmodl``. The key hashes the mod
file's text, a format number and the source of the translator and of the modules its
code calls (``cable/_mechanism.py``, ``cable/_artificial.py``), so editing any of them
retranslates.
"""

import functools
import hashlib
import os
import pathlib
import tempfile

from .._errors import CableError

__all__ = ["cache_dir", "source_key", "cached_source", "exec_source", "FORMAT"]


def cache_dir():
    """The directory of generated sources (not created here)."""
    root = os.environ.get("RXDKIT_CACHE_DIR")
    if root:
        return pathlib.Path(root) / "nmodl"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = pathlib.Path(xdg) if xdg else pathlib.Path.home() / ".cache"
    return base / "rxdkit" / "nmodl"


#: Bumped when generated code changes shape without a change in the translator's source.
FORMAT = 2
#: Modules the generated code calls into, besides this package.
_RUNTIME_MODULES = ("_mechanism.py", "_artificial.py")


@functools.lru_cache(maxsize=1)
def _translator_digest():
    h = hashlib.sha256(f"format {FORMAT}".encode())
    here = pathlib.Path(__file__).parent
    for path in sorted(here.glob("*.py")) + [here.parent / name for name in _RUNTIME_MODULES]:
        h.update(path.read_bytes())
    return h.hexdigest()


def source_key(text):
    """sha256 of a mod file's text and the translator's source (hex, 64 characters)."""
    h = hashlib.sha256(_translator_digest().encode())
    h.update(text.encode("utf-8"))
    return h.hexdigest()


def cached_source(stem, key, make_source, directory=None):
    """The generated source for ``key``: read from the disk cache, or made with
    ``make_source()`` and written there (best effort: an unwritable cache is skipped).

    Returns
    -------
    (source, path) : (str, pathlib.Path or None)
        ``path`` is the file holding the source, for tracebacks.
    """
    directory = pathlib.Path(directory) if directory is not None else cache_dir()
    path = directory / f"{stem}_{key[:20]}.py"
    try:
        return path.read_text(encoding="utf-8"), path
    except OSError:
        pass
    source = make_source()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(source)
        os.replace(tmp, path)
    except OSError:
        return source, None
    return source, path


@functools.lru_cache(maxsize=256)
def exec_source(key, source, filename):
    """Run generated source and return its ``SPEC`` (cached by key in this process)."""
    namespace = {"__name__": f"cable._nmodl.generated_{key[:12]}"}
    try:
        exec(compile(source, filename, "exec"), namespace)
    except Exception as err:  # generated code must not fail; say where it is
        raise CableError(f"the code generated from a mod file failed to load ({filename}): {err}") from err
    return namespace["SPEC"]
