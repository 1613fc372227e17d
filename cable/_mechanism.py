"""The Python API for membrane mechanisms: a density mechanism or a point process is a
small specification plus pure, vectorized functions of ``(v, states, params, ions, ctx)``.

A mechanism is evaluated once per time step over *all* its instances at once: every
argument is a dict of 1-D arrays with one entry per instance (segment or point
process), and every function returns a dict of such arrays. Nothing loops over
instances in Python.

Example: a leak written with the API (this is how ``pas`` is defined)::

    def _pas_current(v, states, params, ions, ctx):
        return {"i": params["g"] * (v - params["e"])}

    pas = DensityMechanism(
        name="pas",
        parameters={"g": 0.001, "e": -70.0},
        units={"g": "S/cm2", "e": "mV", "i": "mA/cm2"},
        nonspecific=("i",),
        current=_pas_current,
    )
"""

from dataclasses import dataclass, field
from typing import Callable, Mapping

from ._errors import CableError

__all__ = ["IonUse", "DensityMechanism", "PointProcess", "Context"]


@dataclass(frozen=True)
class IonUse:
    """What a mechanism does with one ion (NMODL's ``USEION ion READ ... WRITE ...``).

    Parameters
    ----------
    ion : str
        Ion name, e.g. ``"na"``.
    read : tuple of str
        Ion variables read, e.g. ``("ena",)`` or ``("cai", "cao")``.
    write : tuple of str
        Ion variables written; a current (``"ina"``) or a concentration.
    """

    ion: str
    read: tuple = ()
    write: tuple = ()


class Context:
    """What a mechanism function may read besides its arrays.

    Attributes
    ----------
    t : float [ms]
        The time at which the function is evaluated.
    dt : float [ms]
        The fixed time step (``nan`` under variable step).
    celsius : float [degC]
    t_phase : float [ms]
        A time strictly inside the current stretch between discontinuities; piecewise
        constant stimuli decide on/off from it (equals ``t`` on a fixed step).
    """

    __slots__ = ("t", "dt", "celsius", "t_phase")

    def __init__(self, t, dt, celsius, t_phase):
        self.t = t
        self.dt = dt
        self.celsius = celsius
        self.t_phase = t_phase

    def __repr__(self):
        return f"Context(t={self.t}, dt={self.dt}, celsius={self.celsius}, t_phase={self.t_phase})"


def _no_rates(v, states, params, ions, ctx):
    return {}


@dataclass(frozen=True)
class _MechanismSpec:
    """Fields and methods shared by density mechanisms and point processes."""

    name: str
    parameters: Mapping[str, float]
    current: Callable
    states: tuple = ()
    rates: Callable = _no_rates
    derivative: Callable | None = None
    initial: Callable | None = None
    ions: tuple = ()
    nonspecific: tuple = ()
    assigned: tuple = ()
    globals: Mapping[str, float] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    conductance: Callable | None = None
    jacobian: Callable | None = None
    method: str = "derivimplicit"
    conserved: Callable | None = None

    def __post_init__(self):
        _check_spec(self)

    @property
    def ion_currents(self):
        """Written ion currents, as ``(ion, variable)`` pairs, e.g. ``("na", "ina")``."""
        return tuple((u.ion, w) for u in self.ions for w in u.write if w == "i" + u.ion)

    @property
    def range_names(self):
        """All per-instance names: parameters, states, assigned outputs, currents."""
        currents = tuple(w for _, w in self.ion_currents) + tuple(self.nonspecific)
        return tuple(self.parameters) + tuple(self.states) + tuple(self.assigned) + currents


@dataclass(frozen=True)
class DensityMechanism(_MechanismSpec):
    """Specification of a density mechanism (NMODL ``SUFFIX``).

    Parameters
    ----------
    name : str
        The suffix used in ``sec.insert(name)`` and ``seg.<param>_<name>``.
    parameters : mapping str -> float
        RANGE parameters and their defaults (per segment, settable).
    current : callable
        ``current(v, states, params, ions, ctx) -> dict``. ``v`` may have shape (2, n)
        (the voltages and the voltages + 0.001 mV, for the slope di/dv), so write it
        with elementwise numpy operations that broadcast. Keys that name a written
        ion current (``"ina"``) or a nonspecific current are membrane current
        densities [mA/cm2], outward positive; any other key is an assigned RANGE
        variable stored per instance (for example a conductance ``"gna"``).
    states : tuple of str
        State variables (integrated, per segment).
    rates : callable, optional
        ``rates(v, states, params, ions, ctx) -> {state: (inf, tau)}`` for states that
        relax linearly to ``inf`` with time constant ``tau`` [ms] (NMODL ``cnexp``:
        exact exponential update on a fixed step). States are initialized to ``inf``
        unless ``initial`` says otherwise. It may instead return the stacked form
        ``(inf, tau)``, two arrays of shape (k, n) for the first k states in declaration
        order, which saves work per step.
    derivative : callable, optional
        ``derivative(v, states, params, ions, ctx) -> {state: dstate/dt}`` [state/ms]
        for states not given by ``rates``; on a fixed step they are advanced by backward
        (implicit) Euler, x1 = x0 + dt f(x1, v1), solved by Newton's method (see
        ``method``); CVODE integrates them exactly.
    initial : callable, optional
        ``initial(v, params, ions, ctx) -> {state: value}`` (NMODL ``INITIAL``).
    ions : tuple of IonUse
    nonspecific : tuple of str
        Names of nonspecific currents (NMODL ``NONSPECIFIC_CURRENT``).
    assigned : tuple of str
        Names of the assigned RANGE outputs that ``current`` returns.
    globals : mapping str -> float
        Parameters shared by all instances of a simulation (NMODL ``GLOBAL``), passed
        to the functions inside ``params`` as scalars.
    units : mapping str -> str
        Units of parameters, states and outputs, for documentation and ``psection``.
    conductance : callable, optional
        ``conductance(v, states, params, ions, ctx, out) -> {current: di/dv}`` [S/cm2]
        where ``out`` is what ``current`` just returned. When given, the slope of each
        current is taken from it instead of NEURON's numerical difference
        (i(v + 0.001) - i(v)) / 0.001, which saves one evaluation per step; give it only
        where it is exact (currents linear in v, such as g (v - e)).
    jacobian : callable, optional
        ``jacobian(v, states, params, ions, ctx) -> (derivatives, entries)``: what
        ``derivative`` returns, and ``{(state, other): d(dstate/dt)/d(other)}`` [1/ms]
        (entries left out are 0), in one evaluation for the fixed step's Newton
        iterations. Without it the Jacobian is taken by forward differences of
        ``derivative`` (one more evaluation per state).
    method : str
        How the fixed step stops Newton's iterations on the backward Euler equations of
        the ``derivative`` states: ``"derivimplicit"`` (default) when every correction
        is at most 1e-10 of its state; ``"sparse"`` as NEURON's KINETIC schemes, when
        the sum of |corrections| over an instance's states (conserved states included)
        is at most 1e-6, or after 22 iterations, setting negative states to 0;
        ``"sparse_linear"`` after one iteration (NEURON's rule for a scheme whose
        reactions are all first order: exact when the equations are linear).
    conserved : callable, optional
        ``conserved(v, states, params, ions, ctx) -> {name: value}``: states eliminated by
        a conservation law (NMODL CONSERVE), computed from the others; they are assigned
        outputs, set after each fixed step.
    """

    is_point = False


@dataclass(frozen=True)
class PointProcess(_MechanismSpec):
    """Specification of a point process (NMODL ``POINT_PROCESS``).

    Same functions as :class:`DensityMechanism`, but currents are absolute [nA].

    Parameters
    ----------
    electrode : bool
        True for an electrode current (NMODL ``ELECTRODE_CURRENT``: positive
        depolarizes); False for a membrane current (outward positive).
    discontinuities : callable, optional
        ``discontinuities(params) -> iterable of float [ms]``: times at which the
        process switches (NMODL ``at_time``); the variable-step integrator stops and
        restarts exactly there.
    net_receive : callable, optional
        ``net_receive(obj, weights, flag, t)``: handles an event (NMODL ``NET_RECEIVE``);
        ``obj`` is the point process (its states and parameters as attributes, e.g.
        ``obj.g += weights[0]``), ``weights`` the NetCon's weight vector.
    n_weights : int
        Length of the weight vector NetCons to it carry.
    """

    electrode: bool = False
    discontinuities: Callable | None = None
    net_receive: Callable | None = None
    n_weights: int = 1
    aliases: Mapping[str, str] = field(default_factory=dict)
    is_point = True


_METHODS = ("derivimplicit", "sparse", "sparse_linear")


def _check_spec(spec):
    if not spec.name.isidentifier():
        raise CableError(f"mechanism name {spec.name!r} is not a Python identifier; use letters, digits, _")
    if spec.method not in _METHODS:
        raise CableError(f"mechanism {spec.name!r}: method {spec.method!r} is not one of {_METHODS}")
    if not callable(spec.current):
        raise CableError(f"mechanism {spec.name!r}: current must be a function, got {spec.current!r}")
    names = list(spec.parameters) + list(spec.states) + list(spec.assigned) + list(spec.nonspecific)
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise CableError(f"mechanism {spec.name!r}: names declared twice: {sorted(dup)}")
    for use in spec.ions:
        for w in use.write:
            if w not in (f"i{use.ion}", f"{use.ion}i", f"{use.ion}o", f"e{use.ion}"):
                raise CableError(
                    f"mechanism {spec.name!r} writes {w!r}, which is not a variable of ion "
                    f"{use.ion!r} (expected i{use.ion}, {use.ion}i, {use.ion}o or e{use.ion})"
                )
