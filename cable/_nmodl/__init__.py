"""NMODL ``.mod`` files as vectorized mechanism specifications, with no C compiler.

``load_mechanisms(path_or_dir, sim=None)`` parses each file (our own parser, see
``docs/nmodl.md`` for the subset), translates it into Python functions of the mechanism
API (``cable.DensityMechanism`` / ``cable.PointProcess``, with a scalar NET_RECEIVE for
events) or into an artificial-cell class (``ARTIFICIAL_CELL``), and caches the
generated code by content hash, so that a second load is instant.
"""

import pathlib

from .._errors import CableError
from ._cache import cached_source, exec_source, source_key
from ._lexer import ModSyntaxError

__all__ = ["load_mechanisms", "set_geometry", "parse_file", "translate_file", "ModSyntaxError"]


def load_mechanisms(path_or_dir, sim=None, *, cache_dir=None):
    """Load NMODL mechanisms from a ``.mod`` file or from every ``.mod`` file of a directory.

    Parameters
    ----------
    path_or_dir : str or os.PathLike
        A ``.mod`` file, or a directory whose ``*.mod`` files are loaded in name order.
    sim : Simulation, optional
        Register each mechanism in this simulation (``sec.insert(name)`` then works).
    cache_dir : str or os.PathLike, optional
        Where generated code is kept (default: see :mod:`cable._nmodl._cache`).

    Returns
    -------
    dict str -> DensityMechanism, PointProcess or ArtificialCell subclass
        By mechanism name (SUFFIX, POINT_PROCESS or ARTIFICIAL_CELL). With ``sim``, a
        point process maps to the class that creates it (``cls(seg, amp=...)``;
        ``cls.spec`` is the spec). An ARTIFICIAL_CELL is always a class
        (``cls(sim=sim, tau=...)``); with ``sim``, ``cls()`` creates cells in ``sim``.

    Raises
    ------
    CableError
        For a missing path, or (as :class:`ModSyntaxError`) a malformed file or a
        construct outside the subset, naming the file and line.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "leak.mod").write_text(
    ...     "NEURON { SUFFIX leak NONSPECIFIC_CURRENT i RANGE g, e }\\n"
    ...     "PARAMETER { g = 0.001 (S/cm2) e = -70 (mV) }\\n"
    ...     "ASSIGNED { v (mV) i (mA/cm2) }\\n"
    ...     "BREAKPOINT { i = g*(v - e) }\\n")
    >>> mechs = load_mechanisms(d, cache_dir=d / "cache")
    >>> mechs["leak"].parameters
    {'g': 0.001, 'e': -70.0}
    """
    path = pathlib.Path(path_or_dir)
    if path.is_dir():
        files = sorted(path.glob("*.mod"))
        if not files:
            raise CableError(f"load_mechanisms: no .mod files in {path}")
    elif path.is_file():
        files = [path]
    else:
        raise CableError(f"load_mechanisms: {path} is neither a .mod file nor a directory")
    out = {}
    for f in files:
        spec = _load_file(f, cache_dir)
        name = _name_of(spec)
        if name in out:
            raise CableError(f"load_mechanisms: mechanism {name!r} is defined twice (second time in {f})")
        out[name] = spec
    if sim is not None:
        for name, spec in out.items():
            if isinstance(spec, type):  # an ARTIFICIAL_CELL class
                out[name] = sim.loaded_classes[name] = _bind_artificial(spec, sim)
                continue
            registered = sim.register_mechanism(spec)
            if spec.is_point:
                out[name] = sim.loaded_classes[name] = registered
    return out


def _name_of(spec):
    return spec.mechanism_name if isinstance(spec, type) else spec.name


def _bind_artificial(cls, sim):
    """A subclass of an ARTIFICIAL_CELL class whose cells belong to ``sim`` by default,
    with the mechanism's GLOBALs in ``sim.mech_globals``."""
    if cls.global_defaults:
        sim.mech_globals.setdefault(cls.mechanism_name, dict(cls.global_defaults))
    return type(cls.__name__, (cls,), {"default_sim": sim, "__doc__": cls.__doc__, "__module__": cls.__module__})


def set_geometry(sim):
    """Copy each segment's ``diam`` [um] and ``area`` [um2] into the ``diam`` and ``area``
    parameters of the loaded mechanisms that read them (a mod file's ``diam`` and
    ``area`` become such parameters, NaN until set, because the mechanism API does not
    pass geometry yet). Call it after the geometry is final, before ``finitialize``.

    Parameters
    ----------
    sim : Simulation
    """
    for sec in sim.sections:
        for name, spec in sec.mechanisms.items():
            wanted = [g for g in ("diam", "area") if g in spec.parameters]
            for seg in sec if wanted else ():
                values = {"diam": seg.diam, "area": seg.area()}
                for g in wanted:
                    setattr(getattr(seg, name), g, values[g])
    for pp in sim.point_processes:
        for g in ("diam", "area"):
            if g in pp.spec.parameters:
                setattr(pp, g, pp.seg.diam if g == "diam" else pp.seg.area())


def _load_file(path, cache_dir):
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise CableError(f"load_mechanisms: cannot read {path}: {err}") from err
    key = source_key(text)
    source, where = cached_source(path.stem, key, lambda: _translate_text(text, str(path), key), cache_dir)
    return exec_source(key, source, str(where) if where is not None else f"<generated from {path}>")


def _translate_text(text, filename, key):
    # parser and translator (and sympy) are imported only when the cache misses
    from ._parser import parse
    from ._translate import translate

    return translate(parse(text, filename), key)


def parse_file(path):
    """The syntax tree (:class:`cable._nmodl._ast.ModFile`) of a ``.mod`` file, unchecked
    (its ``net_receive`` holds a parsed NET_RECEIVE block, if any)."""
    from ._parser import parse

    path = pathlib.Path(path)
    return parse(path.read_text(encoding="utf-8", errors="replace"), str(path))


def translate_file(path):
    """The Python source that :func:`load_mechanisms` generates for a ``.mod`` file."""
    path = pathlib.Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    return _translate_text(text, str(path), source_key(text))
