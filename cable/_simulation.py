"""The simulation: owns sections, point processes, mechanisms, the one state vector and
the time loop (fixed step or CVODE)."""

import heapq
import itertools

import numpy as np

from ._builtin import BUILTIN
from ._errors import CableError
from ._ions import DEFAULT_IONS
from ._mechanism import DensityMechanism, PointProcess
from ._model import Model
from ._netcon import EventQueue
from ._record import Recorder, Ref, Vector

__all__ = ["Simulation", "CVodeSettings"]


class CVodeSettings:
    """NEURON's ``h.cvode``: switch variable stepping on and set its tolerances.

    Attributes are plain values; the methods mirror NEURON's (``active(1)``,
    ``atol(1e-5)``, ``rtol(0)``, ``event(t, f)``, ``re_init()``).
    """

    def __init__(self, sim):
        self._sim = sim
        self._active = False
        self._atol = 1e-3
        self._rtol = 0.0
        self.maxstep = 0.0
        self._linsolver = "auto"
        self._atolscale = {}

    def active(self, on=None):
        """Get, or set with ``on``, whether the variable step is used. Returns 0 or 1."""
        if on is not None:
            self._active = bool(on)
            self._sim._integrator = None
        return int(self._active)

    def atol(self, value=None):
        """Get or set the absolute tolerance (NEURON default 1e-3)."""
        if value is not None:
            if not value > 0:
                raise CableError(f"cvode.atol must be positive, got {value!r}")
            self._atol = float(value)
            self._sim._integrator = None
        return self._atol

    def rtol(self, value=None):
        """Get or set the relative tolerance (NEURON default 0)."""
        if value is not None:
            if not value >= 0 or not np.isfinite(value):
                raise CableError(f"cvode.rtol must be >= 0, got {value!r} (a finite number)")
            self._rtol = float(value)
            self._sim._integrator = None
        return self._rtol

    def atolscale(self, name, scale=None):
        """Get, or set with ``scale``, the factor on atol for one kind of state (NEURON's
        ``cvode.atolscale``): ``"v"`` for membrane potentials, ``"<state>_<mechanism>"``
        (e.g. ``"m_hh"``) for a mechanism's state. rxd species take theirs from
        ``Species(atolscale=...)``. Default 1."""
        if scale is not None:
            scale = float(scale)
            if not scale > 0 or not np.isfinite(scale):
                raise CableError(f"cvode.atolscale({name!r}) must be positive, got {scale}")
            self._atolscale[name] = scale
            self._sim._integrator = None
        return self._atolscale.get(name, 1.0)

    def linsolver(self, name=None):
        """Get, or set with ``name``, CVODE's linear solver for systems of more than 64
        equations: 'auto' (a band solver when the states fit a narrow band, with CVODE's
        difference-quotient Jacobian: fastest), 'band', 'sparse' (SuperLU_MT with the
        compiled Jacobian: its Newton corrections keep closed systems' mass to rounding),
        or 'schur' (the same Jacobian; mechanism states eliminated per node and the rest
        solved as a band, ``cable._schur``, inside CVODE's GMRES: for many channels on a
        long cable)."""
        if name is not None:
            if name not in ("auto", "band", "sparse", "schur"):
                raise CableError(f"cvode.linsolver must be 'auto', 'band', 'sparse' or 'schur', got {name!r}")
            self._linsolver = name
            self._sim._integrator = None
        return self._linsolver

    def event(self, t, callback=None):
        """Call ``callback()`` when the simulation reaches time ``t`` [ms] (after the next
        finitialize if given before it). Without a callback, only makes the integrator
        stop at t."""
        self._sim._add_event(float(t), callback)

    def re_init(self):
        """Tell the integrator that the state was changed by hand (call it in an event
        callback after setting values)."""
        sim = self._sim
        if sim._integrator is not None:
            sim._integrator.reinit_requested = True
        model = sim._model
        for ext in model.extensions if model is not None else ():
            changed = getattr(ext, "state_changed", None)
            if changed is not None:
                changed()

    def statistics(self):
        """A dict of counters of the last variable-step run."""
        integ = self._sim._integrator
        if integ is None:
            return {}
        return {"steps": integ.nsteps, "rhs_evaluations": integ.nrhs}


class Simulation:
    """One model and its time loop.

    Parameters
    ----------
    celsius : float [degC], optional
        Temperature (NEURON's default 6.3).
    dt : float [ms], optional
        Fixed time step (default 0.025).
    secondorder : int, optional
        0: backward Euler (default); 2: Crank-Nicolson.

    Examples
    --------
    >>> sim = Simulation()
    >>> soma = sim.Section("soma", L=10, diam=10)
    >>> _ = soma.insert("hh")
    >>> stim = sim.IClamp(soma(0.5), delay=1, dur=5, amp=0.1)
    >>> v = sim.record(soma(0.5), "v")
    >>> sim.finitialize(-65)
    >>> sim.continuerun(10)
    >>> bool(v.as_numpy().max() > 0)  # one spike
    True
    """

    def __init__(self, *, celsius=6.3, dt=0.025, secondorder=0):
        self.sections = []
        self.point_processes = []
        #: Objects that add states and equations to the model (rxd); see cable._model.Model.
        self.extensions = []
        self._mechanisms = dict(BUILTIN)
        self.mech_globals = {name: dict(spec.globals) for name, spec in BUILTIN.items()}
        #: Point-process and artificial-cell classes from load_mechanisms, by name (``h.Name``).
        self.loaded_classes = {}
        self.celsius = float(celsius)
        self._dt = 0.025
        self.dt = dt
        self.secondorder = secondorder
        self._t_cell = np.zeros(1)
        self._model = None
        self._integrator = None
        self._recorder = Recorder(self)
        self.cvode = CVodeSettings(self)
        self._pending_callbacks = []  # (t, seq, callback) given for the next run
        self._callbacks = []
        self._seq = itertools.count()
        #: Network events: NetCons, spike sources and the queue of pending deliveries.
        self._events = EventQueue(self)
        self.artificial_cells = []
        self._initialized = False

    # -- scalars -----------------------------------------------------------------------
    @property
    def t(self):
        """float [ms]: simulation time."""
        return float(self._t_cell[0])

    @t.setter
    def t(self, value):
        self._t_cell[0] = value

    @property
    def _ref_t(self):
        return Ref(self, "t")

    @property
    def dt(self):
        """float [ms]: the fixed time step (> 0)."""
        return self._dt

    @dt.setter
    def dt(self, value):
        try:
            value = float(value)
        except (TypeError, ValueError) as err:
            raise CableError(f"dt must be a number [ms], got {value!r}") from err
        if not np.isfinite(value) or value <= 0:
            raise CableError(f"dt must be positive and finite [ms], got {value!r}")
        self._dt = value

    @property
    def secondorder(self):
        """int: 0 for backward Euler, 2 for Crank-Nicolson (NEURON's secondorder)."""
        return self._secondorder

    @secondorder.setter
    def secondorder(self, value):
        if value not in (0, 1, 2):
            raise CableError(f"secondorder must be 0 (backward Euler) or 2 (Crank-Nicolson), got {value!r}")
        self._secondorder = int(value)

    # -- objects -----------------------------------------------------------------------
    def Section(self, name=None, **kwargs):
        """Create a section in this simulation (see :class:`cable.Section`)."""
        from ._section import Section

        return Section(name, sim=self, **kwargs)

    def IClamp(self, seg, **values):
        """Create an IClamp at ``seg`` (see :class:`cable.IClamp`)."""
        from ._pointproc import IClamp

        return IClamp(seg, **values)

    def SEClamp(self, seg, **values):
        """Create an SEClamp at ``seg`` (see :class:`cable.SEClamp`)."""
        from ._pointproc import SEClamp

        return SEClamp(seg, **values)

    def ExpSyn(self, seg, **values):
        """Create an ExpSyn at ``seg`` (see :class:`cable.ExpSyn`)."""
        from ._pointproc import ExpSyn

        return ExpSyn(seg, **values)

    def Exp2Syn(self, seg, **values):
        """Create an Exp2Syn at ``seg`` (see :class:`cable.Exp2Syn`)."""
        from ._pointproc import Exp2Syn

        return Exp2Syn(seg, **values)

    def NetStim(self, **values):
        """Create a NetStim in this simulation (see :class:`cable.NetStim`)."""
        from ._artificial import NetStim

        return NetStim(self, **values)

    def IntFire1(self, **values):
        """Create an IntFire1 in this simulation (see :class:`cable.IntFire1`)."""
        from ._artificial import IntFire1

        return IntFire1(self, **values)

    def NetCon(self, source, target=None, threshold=10.0, delay=1.0, weight=0.0, **kwargs):
        """Create a NetCon (see :class:`cable.NetCon`)."""
        from ._netcon import NetCon

        return NetCon(source, target, threshold, delay, weight, sim=self, **kwargs)

    def register_mechanism(self, spec):
        """Make a :class:`DensityMechanism` insertable (``sec.insert(spec.name)``), or a
        :class:`PointProcess` creatable (returns its class)."""
        if not isinstance(spec, (DensityMechanism, PointProcess)):
            raise CableError(f"register_mechanism needs a DensityMechanism or PointProcess, got {spec!r}")
        self._mechanisms[spec.name] = spec
        self.mech_globals[spec.name] = dict(spec.globals)
        for use in spec.ions:
            if use.ion not in DEFAULT_IONS:
                raise CableError(
                    f"mechanism {spec.name!r} uses ion {use.ion!r}, which is not defined; known: {sorted(DEFAULT_IONS)}"
                )
        self._structure_changed()
        if spec.is_point:
            from ._pointproc import make_point_class

            return make_point_class(spec)
        return spec

    def mechanism(self, name):
        """The specification registered under ``name``."""
        try:
            return self._mechanisms[name]
        except KeyError:
            raise CableError(
                f"unknown mechanism {name!r}; known: {sorted(self._mechanisms)} "
                "(register new ones with Simulation.register_mechanism)"
            ) from None

    def ion_names(self):
        """Ions used by any inserted mechanism or point process, sorted."""
        names = set()
        for sec in self.sections:
            for spec in sec.mechanisms.values():
                names.update(u.ion for u in spec.ions)
        for pp in self.point_processes:
            names.update(u.ion for u in pp.spec.ions)
        names.update(self.ion_charges())
        return sorted(names)

    def ion_charges(self):
        """{ion: charge} of the ions that extensions (rxd species) define."""
        out = {}
        for ext in self.extensions:
            f = getattr(ext, "ion_charges", None)
            if f is not None:
                out.update(f())
        return out

    def allsec(self):
        """All sections, in creation order."""
        return list(self.sections)

    @property
    def _point_processes(self):
        return self.point_processes

    def _add_section(self, sec):
        self.sections.append(sec)
        self._structure_changed()

    def add_extension(self, ext):
        """Add an extension (an object with the methods listed in :class:`Model`)."""
        if ext not in self.extensions:
            self.extensions.append(ext)
            self._structure_changed()

    def _add_point_process(self, pp):
        self.point_processes.append(pp)
        self._structure_changed()

    def delete_section(self, sec):
        """Remove a section (its children become roots)."""
        for child in list(sec.children):
            child.disconnect()
        sec.disconnect()
        self.sections.remove(sec)
        self.point_processes = [pp for pp in self.point_processes if pp.seg.sec is not sec]
        self._structure_changed()

    # -- the built model ---------------------------------------------------------------
    def _structure_changed(self):
        self._model = None
        self._integrator = None

    def _ensure_built(self):
        if self._model is None:
            self._model = Model(self)  # a network of artificial cells needs no section
        return self._model

    _model_for_access = _ensure_built

    def _tree_for_access(self):
        return self._ensure_built().tree

    @property
    def y(self):
        """ndarray: the state vector (node potentials [mV], then mechanism states)."""
        return self._ensure_built().y

    def _ion_location(self, seg, ion, kind):
        """(array, index) holding an ion variable at a segment: an rxd node for a
        concentration that rxd owns, else the ion arrays."""
        model = self._ensure_built()
        if ion not in model.ions:
            raise CableError(f"ion {ion!r} is not used at {seg!r}; insert a mechanism that uses it")
        node = seg.node_index
        for ext in model.extensions:
            loc = ext.ion_storage(ion, kind, node)
            if loc is not None:
                return loc
        return model.ions[ion].array(kind), node

    def _ion_value(self, seg, ion, kind):
        arr, i = self._ion_location(seg, ion, kind)
        return arr[i]

    def _set_ion_value(self, seg, ion, kind, value):
        arr, i = self._ion_location(seg, ion, kind)
        arr[i] = value

    # -- events --------------------------------------------------------------------------
    def _add_event(self, t, callback):
        item = (t, next(self._seq), callback)
        if self._initialized and t >= self.t:
            heapq.heappush(self._callbacks, item)
        else:
            self._pending_callbacks.append(item)

    def _run_callbacks(self, t_limit):
        while self._callbacks and self._callbacks[0][0] <= t_limit:
            _, _, cb = heapq.heappop(self._callbacks)
            if cb is not None:
                cb()

    # -- running ---------------------------------------------------------------------------
    def finitialize(self, v_init=-65.0):
        """Initialize at t = 0: every node at ``v_init`` [mV], every state at its initial
        value, recordings cleared and their first sample taken."""
        if v_init is not None:
            v_init = float(v_init)
            if not np.isfinite(v_init):
                raise CableError(f"finitialize: v_init must be finite [mV], got {v_init!r}")
        model = self._ensure_built()
        self.t = 0.0
        model.initialize(v_init, self.celsius)
        self._callbacks = list(self._pending_callbacks)
        self._pending_callbacks = []
        heapq.heapify(self._callbacks)
        self._events.initialize(model)
        self._initialized = True
        self._integrator = None
        self._recorder.start()
        self._recorder.record_step()
        self._record_intervals_up_to(0.0)
        if self.cvode.active():
            self._make_integrator()

    def _make_integrator(self):
        from ._cvode import CvodeIntegrator

        self._integrator = CvodeIntegrator(
            self, self.cvode.atol(), self.cvode.rtol(), self.cvode.maxstep, self.cvode.linsolver(),
            atolscale=self.cvode._atolscale,
        )

    def _check_ready(self):
        if not self._initialized or self._model is None:
            raise CableError("call finitialize(v_init) before advancing (the model changed or was never initialized)")

    def _record_intervals_up_to(self, t):
        rec = self._recorder
        for Dt in rec.sample_times():
            while rec.next_time(Dt) <= t + 1e-9 * Dt:
                rec.record_interval(Dt)

    def fadvance(self):
        """Advance one step: dt on the fixed step, one internal step under CVODE."""
        self._check_ready()
        if self.cvode.active():
            self._cvode_advance(None)
            return
        dt = self._dt
        t = self._t_cell[0]
        events = self._events
        if events._heap and events._heap[0][0] <= t + 0.5 * dt:
            events.deliver_until(t + 0.5 * dt)
        if self._callbacks and self._callbacks[0][0] <= t + 0.5 * dt:
            self._run_callbacks(t + 0.5 * dt)
        self._model.fixed_step(t, dt, self._secondorder, self.celsius)
        self._t_cell[0] = t + dt
        events.detect_fixed(self._model.v, t + dt)
        rec = self._recorder
        rec.record_step()
        if rec.intervals:
            self._record_intervals_up_to(t + dt)

    def continuerun(self, tstop):
        """Advance until t = ``tstop`` [ms]."""
        self._check_ready()
        tstop = float(tstop)
        if self.cvode.active():
            self._cvode_advance(tstop)
            return
        # NEURON's stdrun: step while t < tstop - dt/2
        while self.t < tstop - 0.5 * self.dt:
            self.fadvance()

    def run(self, tstop, v_init=-65.0):
        """finitialize(v_init), then continuerun(tstop)."""
        self.finitialize(v_init)
        self.continuerun(tstop)

    def _cvode_advance(self, tstop):
        if self._integrator is None or not self._integrator.still_valid():
            self._make_integrator()
        integ = self._integrator
        rec = self._recorder
        intervals = rec.sample_times()

        def soft_times():
            times = [rec.next_time(Dt) for Dt in intervals]
            if self._callbacks:
                times.append(self._callbacks[0][0])
            return min(times) if times else np.inf

        def on_soft(t):
            if rec.intervals and rec.needs_currents:
                integ.refresh(t)  # currents and assigned values of the interpolated state
            self._record_intervals_up_to(t)
            self._run_callbacks(t)

        def every_step():
            if rec.needs_currents:
                integ.refresh(self.t)
            rec.record_step()

        every = every_step if rec.has_every_step() else None
        if tstop is None:  # one internal step
            integ.sync()
            res = integ.one_step(None)
            integ.load(res.y)
            self.t = res.t
            integ._mark()
            rec.record_step()
            return
        integ.advance(tstop, soft_times, on_soft, every, events=self._events)

    # -- recording -------------------------------------------------------------------
    def record(self, obj, var="v", dt=None):
        """Record a variable into a :class:`Vector` from the next finitialize on.

        Parameters
        ----------
        obj : Segment, point process or Simulation (for ``"t"``)
        var : str
            ``"v"``, a range variable such as ``"m_hh"`` or ``"ina"``, or ``"t"``.
        dt : float [ms], optional
            Sampling interval; every step when omitted.
        """
        return Vector().record(Ref(obj, var), dt)

    def record_t(self, dt=None):
        """Record time [ms] (every step, or every ``dt``)."""
        return Vector().record(self._ref_t, dt)
