"""The rxd part of a simulation: discretization, compiled reactions, and the equations
it adds to the simulation's one state vector (a cable extension).
"""

import numpy as np
import scipy.sparse as sp

from cable._ions import DEFAULT_IONS
from cable._units import FARADAY

from ._compile import lambdify_class, node_classes, resolve
from ._discretize import diffusion_pairs, discretize
from ._discretize3d import VoxelData, diffusion_pairs3d, discretize3d
from ._errors import RxdError
from ._hybrid import SystemHybrid
from ._linsolve import ShiftedSolver
from ._system3d import System3D, spread_current

__all__ = ["RxdSystem", "system_for"]

#: A 3D ion's segment means (read twice a step) use a dense matrix up to this many
#: segments: a dense product over 4800 voxels takes 3 us, the sparse one 10 us.
_DENSE_MEAN_SEGMENTS = 4


def system_for(sim):
    """The simulation's rxd system (created and attached on first use)."""
    for ext in sim.extensions:
        if isinstance(ext, RxdSystem):
            return ext
    system = RxdSystem(sim)
    sim.add_extension(system)
    return system


class _Discret:
    """Cache of per-(species, region) discretizations during one build."""

    def __init__(self, system=None):
        self._system = system
        self._regions = {}
        self._sor = {}
        self._membranes = {}

    def region(self, region):
        d = self._regions.get(id(region))
        if d is None:
            if region.dimension == 3:
                d = discretize3d(region, self._system.voxel_domain(region))
            else:
                d = discretize(region)
            self._regions[id(region)] = d
        return d

    def __call__(self, sor):
        part = getattr(sor, "part", None)  # a part of a species on a hybrid region
        return self.region(sor.region if part is None else part)

    def parts(self, sor):
        """The 1D and 3D parts of a species on a hybrid region, else None."""
        return self._system._parts.get(sor)

    def region_parts(self, region):
        """The internal 1D and 3D regions of a hybrid region, else None."""
        return self._system._part_regions_now.get(region)

    def membrane(self, region):
        from ._compile import _MembraneSor

        m = self._membranes.get(id(region))
        if m is None:
            m = self._membranes[id(region)] = _MembraneSor(region)
        return m


class RxdSystem(System3D, SystemHybrid):
    """Species, parameters and reactions of one simulation, and their compiled form.

    Implements the cable extension protocol (see ``cable._model.Model``).
    """

    def __init__(self, sim):
        self.sim = sim
        self.species = []
        self.reactions = []
        self.built = False
        self.solve_type = {}  # Section (or None: all) -> dimension, from set_solve_type
        self._method3d = "auto"  # the 3D diffusion solve of the fixed step (set_solve_type)
        self._domains = {}  # voxel edge -> (fingerprint, VoxelDomain)
        self._part_region_cache = {}  # hybrid Region -> (signature, (1D part, 3D part))
        self._part_sor_cache = {}  # species on a hybrid region -> its two PartSors
        self._parts = {}  # this build's hybrid species on regions -> their parts
        self._part_regions_now = {}

    # -- registration ----------------------------------------------------------------
    def add_species(self, s):
        self.species.append(s)
        self.sim._structure_changed()

    def add_reaction(self, r):
        r.label = f"{r.kind}{len(self.reactions)}"
        self.reactions.append(r)
        self.sim._structure_changed()

    # -- build (extension protocol) ------------------------------------------------------
    def prepare(self, model):
        from ._species import Parameter

        disc = _Discret(self)
        self._disc = disc
        self._tree = model.tree
        self._node_tables = {}
        self.sors = []  # evolving species on regions, in state order
        self.psors = []  # parameters on regions
        self.sor_offset = {}
        self.psor_offset = {}
        n = 0
        p = 0
        self._split_hybrid()
        for s in self.species:
            for r in s.regions:
                for sor in self.parts(s[r]):
                    data = disc(sor)
                    if isinstance(s, Parameter):
                        self.psor_offset[sor] = p
                        self.psors.append(sor)
                        p += data.n
                    else:
                        if r.is_border and s.d > 0:
                            raise RxdError(f"{s!r} diffuses (d = {s.d}) but {r!r} is a border; use a State or d = 0")
                        self.sor_offset[sor] = n
                        self.sors.append(sor)
                        n += data.n
        self.size = n
        self.pvals = np.zeros(p)
        # diffusion: constant conductance pairs per species on region
        self.has_3d = any(isinstance(disc(sor), VoxelData) for sor in self.sors)
        rows, cols, vals, gvals = [], [], [], []
        self.volume = np.zeros(n)
        for sor in self.sors:
            data = disc(sor)
            off = self.sor_offset[sor]
            self.volume[off : off + data.n] = data.volume
            d = sor.species.d
            if d <= 0:
                continue
            i, j, g = diffusion_pairs3d(data, d) if isinstance(data, VoxelData) else diffusion_pairs(data, d)
            vi, vj = data.volume[i], data.volume[j]
            # d c_i/dt += g (c_j - c_i) / V_i
            rows += [off + i, off + i, off + j, off + j]
            cols += [off + j, off + i, off + i, off + j]
            vals += [g / vi, -g / vi, g / vj, -g / vj]
            gvals += [g, -g, g, -g]
        self._add_junctions(rows, cols, vals, gvals)
        if rows:
            ij = (np.concatenate(rows), np.concatenate(cols))
            D = sp.csr_matrix((np.concatenate(vals), ij), shape=(n, n))
            K = sp.csr_matrix((np.concatenate(gvals), ij), shape=(n, n)) if self.has_3d else None
        else:
            D = sp.csr_matrix((n, n))
            K = sp.csr_matrix((n, n)) if self.has_3d else None
        D.sum_duplicates()
        self.D = D
        self.K = K
        # reactions: instances -> node classes -> functions
        instances = []
        for r in self.reactions:
            instances += resolve(r, disc)
        self.classes = [lambdify_class(nc) for nc in node_classes(instances)]
        self._jac_varies = not all(nc.jac_constant for nc in self.classes)
        self._prepare_class_indices()
        self._prepare_pattern()
        self._prepare_ions(model, disc)
        self._prepare_fluxes(model, [i for i in instances if i.reaction.membrane_flux])
        return n

    # -- ions ----------------------------------------------------------------------------
    def ion_charges(self):
        """{ion: charge} of the species that are ion concentrations (named like an ion, or
        charged, in a region with nrn_region)."""
        from ._species import Parameter

        out = {}
        for s in self.species:
            if isinstance(s, Parameter) or not any(r.nrn_region for r in s.regions):
                continue
            if s.name in DEFAULT_IONS or s.charge != 0:
                out[s.name] = s.charge
        return out

    def _prepare_ions(self, model, disc):
        """Which species on which regions are ion concentrations, their cable nodes and
        the factor from membrane current density to concentration change."""
        from ._species import Parameter

        for s in self.species:
            if isinstance(s, Parameter):
                continue
            ion = DEFAULT_IONS.get(s.name)
            if ion is not None and s.charge != ion.charge:
                raise RxdError(
                    f"Species {s.name!r} has charge {s.charge}, but the ion {s.name} has valence "
                    f"{ion.charge}; use charge={ion.charge} or another name"
                )
            if ion is not None and not any(r.nrn_region for r in s.regions):
                raise RxdError(
                    f"Species {s.name!r} is named after the ion {s.name} but none of its regions "
                    f"{[r.name for r in s.regions]} has nrn_region; give the region that is the "
                    "cytosol nrn_region='i' (or 'o' outside), or rename the species"
                )
        self.coupled = []  # (sor, ion, kind, rows as a slice, cable nodes, scale)
        self._coupled1d = []  # (ion, kind, rows, cable nodes)
        # (ion, kind, rows as a slice, voxels -> segment mean matrix, segment nodes)
        self.coupled3d = []
        for sor in self.sors:
            r = sor.region
            if r.nrn_region is None or r.is_border or sor.species.name not in self.ion_charges():
                continue
            data = disc(sor)
            nodes = self._cable_nodes(data)
            z = sor.species.charge
            sign = -1.0 if r.nrn_region == "i" else 1.0
            kind = "ci" if r.nrn_region == "i" else "co"
            rows = self.sor_offset[sor] + np.arange(data.n)
            if isinstance(data, VoxelData):
                scale, seg_of, seg_nodes = spread_current(data, nodes, model.area)
                scale *= sign * 1e4 / (z * FARADAY)
                vsum = np.bincount(seg_of, weights=data.volume, minlength=len(seg_nodes))
                # segment value = sum over its voxels of (V_voxel / V_segment) y_voxel
                mean = sp.csr_matrix(
                    (data.volume / vsum[seg_of], (seg_of, np.arange(data.n))), shape=(len(seg_nodes), data.n)
                )
                if len(seg_nodes) <= _DENSE_MEAN_SEGMENTS:
                    mean = mean.toarray()
                self.coupled3d.append((sor.species.name, kind, _span(rows), mean, seg_nodes))
            else:
                # d c/dt [mM/ms] = sign 1e4 i [mA/cm2] A [um2] / (z F V [um3])
                scale = sign * 1e4 * data.area / (z * FARADAY * data.volume)
                self._coupled1d.append((sor.species.name, kind, rows, nodes))
            self.coupled.append((sor, sor.species.name, kind, _span(rows), nodes, scale))
        # seg.cai etc. are the node's own storage in 1D; in 3D the segment's value is a
        # mean over voxels, kept in the ion arrays (read only)
        self._ion_lookup = {}
        for ion, kind, rows, nodes in self._coupled1d:
            for row, node in zip(rows, nodes):
                self._ion_lookup[(ion, kind, int(node))] = int(row)

    def _cable_nodes(self, data):
        """The cable node of every node of a discretization (its segment's node)."""
        got = self._node_tables.get(id(data))
        if got is None:
            tree = self._tree
            table = [np.asarray(tree.segment_nodes(sec), dtype=np.intp) for sec in data.secs]
            start = np.concatenate([[0], np.cumsum([len(t) for t in table])])
            got = np.concatenate(table)[start[data.sec_id] + data.seg_index] if data.n else np.zeros(0, np.intp)
            self._node_tables[id(data)] = got
        return got

    def _prepare_fluxes(self, model, instances):
        """Membrane currents carried by reactions with membrane_flux (per instance: one
        lambdified function of the charge carriers' rates of change)."""
        import sympy

        self.fluxes = []
        for inst in instances:
            carriers = [(t, e) for t, e in inst.targets if t.region.nrn_region == "i" and t.species.charge]
            if not carriers:
                carriers = [(t, e) for t, e in inst.targets if t.region.nrn_region == "o" and t.species.charge]
            if not carriers:
                raise RxdError(
                    f"{inst.reaction!r} has membrane_flux=True but moves no charged species across the "
                    "plasma membrane (a region with nrn_region 'i' or 'o')"
                )
            syms = list(inst.symbols)
            clean = [sympy.Symbol(f"x{i}") for i in range(len(syms))]
            sub = dict(zip(syms, clean))
            fn = sympy.lambdify(clean, [sympy.sympify(e).xreplace(sub) for _, e in carriers], modules="numpy", cse=True)
            getters = []
            for s_ in syms:
                kind, sor, idx = inst.symbols[s_]
                if kind == "const":
                    getters.append(("const", idx))
                elif kind == "state":
                    getters.append(("state", self.sor_offset[sor] + idx))
                else:
                    getters.append(("param", self.psor_offset[sor] + idx))
            outs = []
            for t, _ in carriers:
                _, _, tidx = _target_idx_inst(inst, t)
                data = self._disc(t)
                nodes = self._cable_nodes(data)[tidx]
                z = t.species.charge
                sign = -1.0 if t.region.nrn_region == "i" else 1.0
                # outward current [nA] = sign z F V [um3] 1e-6 dc/dt [mM/ms]
                factor = sign * z * FARADAY * data.volume[tidx] * 1e-6
                outs.append((t.species.name, nodes, factor))
            self.fluxes.append((fn, getters, outs))

    @property
    def uses_voltage(self):
        """True when the rxd equations and the membrane are coupled (ion species or
        membrane fluxes): then the potential is part of the variable-step system."""
        return bool(getattr(self, "coupled", None) or getattr(self, "fluxes", None))

    def write_ions(self, model):
        y = self.y
        for ion, kind, rows, nodes in self._coupled1d:
            model.ions[ion].array(kind)[nodes] = y[rows]
        # 3D: a segment sees the volume-weighted mean of its voxels
        for ion, kind, rows, mean, seg_nodes in self.coupled3d:
            model.ions[ion].array(kind)[seg_nodes] = mean @ y[rows]

    def add_membrane_currents(self, model, i_total):
        if not self.fluxes:
            return
        for ion in model.ions.values():
            ion.induced.fill(0.0)
        y = self.y
        for fn, getters, outs in self.fluxes:
            args = [y[i] if k == "state" else (self.pvals[i] if k == "param" else i) for k, i in getters]
            rates = fn(*args)
            for (ion, nodes, factor), rate in zip(outs, rates):
                current = factor * rate
                np.add.at(i_total, nodes, current)
                area = model.area[nodes]
                np.add.at(model.ions[ion].induced, nodes, np.where(area > 0, current / (1e-2 * np.where(area > 0, area, 1)), 0))

    def ion_storage(self, ion, kind, node):
        if not self.built:
            return None
        row = self._ion_lookup.get((ion, kind, int(node)))
        if row is None:
            return None
        return self.model.y, self.offset + row

    def coupling(self):
        """Local indices of the states coupled to the membrane, and their cable nodes."""
        local, nodes = [], []
        for sor, ion, kind, rows, nd, _ in self.coupled:
            local.append(np.arange(self.size)[rows])
            nodes.append(nd)
        if not local:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        return np.concatenate(local), np.concatenate(nodes)

    def _prepare_class_indices(self):
        for nc in self.classes:
            getters = []
            for s in nc.args:
                kind, sor, idx = nc.symbols[s]
                if kind == "const":
                    getters.append(("const", idx))
                elif kind == "state":
                    getters.append(("state", _as_index(self.sor_offset[sor] + idx)))
                else:
                    getters.append(("param", _as_index(self.psor_offset[sor] + idx)))
            nc.getters = getters
            nc.rows = []
            for t in nc.target_list:
                _, _, idx = _target_idx(nc, t)
                nc.rows.append(_as_index(self.sor_offset[t] + idx))

    def _prepare_pattern(self):
        n = self.size
        D = self.D.tocoo()
        rows = [D.row, np.arange(n)]
        cols = [D.col, np.arange(n)]
        for nc in self.classes:
            ent_rows, ent_cols = [], []
            for t, s in nc.jac_entries:
                _, _, tidx = _target_idx(nc, t)
                _, sor, sidx = nc.symbols[s]
                ent_rows.append(self.sor_offset[t] + tidx)
                ent_cols.append(self.sor_offset[sor] + sidx)
            nc.ent_rows, nc.ent_cols = ent_rows, ent_cols
            rows += ent_rows
            cols += ent_cols
        r = np.concatenate(rows)
        c = np.concatenate(cols)
        P = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
        P.sum_duplicates()
        P.sort_indices()
        self.pattern = P
        row_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(P.indptr))
        keys = row_of * n + P.indices
        self._pat_rows, self._pat_cols = row_of, P.indices.copy()

        def pos(rr, cc):  # int64: row * n overflows int32 beyond 46341 states
            return np.searchsorted(keys, np.asarray(rr, dtype=np.int64) * n + np.asarray(cc, dtype=np.int64))

        self._diag_pos = pos(np.arange(n), np.arange(n))
        Dc = self.D.tocoo()
        self._D_pos = pos(Dc.row, Dc.col)
        self._D_data = Dc.data
        for nc in self.classes:
            nc.ent_pos = [pos(r_, c_) for r_, c_ in zip(nc.ent_rows, nc.ent_cols)]
        self._jdata = np.zeros(P.nnz)
        self._location = self._locations()
        if self.has_3d:
            self._prepare_split(P)
            self._solver = None
        else:
            self._solver = ShiftedSolver(P, location=self._location)
        self._f = np.zeros(n)

    def _locations(self):
        """For every rxd state, the cable node of its segment (for ordering)."""
        out = np.zeros(self.size, dtype=np.int64)
        for sor in self.sors:
            data = self._disc(sor)
            off = self.sor_offset[sor]
            out[off : off + data.n] = self._cable_nodes(data)
        return out

    def locations(self):
        """The cable node of each rxd state (extension protocol, for banded orders)."""
        return self._location

    def bind(self, model, offset):
        self.model = model
        self.offset = offset
        self.y = model.y[offset : offset + self.size]
        self.built = True
        for sor, ion, kind, rows, nodes, _ in self.coupled:
            model.ions[ion].mark_dynamic(nodes)

    # -- values ------------------------------------------------------------------------
    def storage(self, sor, k):
        """(array, index) holding node k of a species (or parameter) on a region."""
        self.sim._ensure_built()
        parts = self._parts.get(sor)
        if parts is not None:  # the parts' nodes follow one another
            sor, k = (parts[0], k) if k < self._disc(parts[0]).n else (parts[1], k - self._disc(parts[0]).n)
        if sor in self.sor_offset:
            return self.model.y, self.offset + self.sor_offset[sor] + k
        return self.pvals, self.psor_offset[sor] + k

    def nodes_of(self, sor):
        from ._nodes import Node, NodeList

        self.sim._ensure_built()
        out = NodeList()
        for part in self.parts(sor):
            data = self._disc(part)
            out += [Node(part, k, data) for k in range(data.n)]
        return out

    def initialize(self, model):
        for s in self.species:
            self.initialize_species(s)
        self._since_factor = self.refactor_every
        self._factor_dt = None
        self._parity = 0  # the 3D step's alternating splitting starts with the reactions

    def initialize_species(self, s):
        from ._species import Parameter

        for sor in [part for r in s.regions for part in self.parts(s[r])]:
            r = sor.region
            data = self._disc(sor)
            if isinstance(s, Parameter):
                arr, base = self.pvals, self.psor_offset[sor]
            else:
                arr, base = self.model.y, self.offset + self.sor_offset[sor]
            init = s.initial
            if init is None:
                ion = DEFAULT_IONS.get(s.name)
                if ion is not None and r.nrn_region == "i":
                    init = ion.ci0
                elif ion is not None and r.nrn_region == "o":
                    init = ion.co0
                else:
                    init = 0.0
            if callable(init):
                nodes = self.nodes_of(sor)
                values = np.array([float(init(nd)) for nd in nodes])
            else:
                values = np.full(data.n, float(init))
            bad = np.flatnonzero(~np.isfinite(values))
            if len(bad):
                k = bad[0]
                raise RxdError(
                    f"initial value of {sor!r} is {values[k]} at {data.secs[data.sec_id[k]].name}"
                    f"({data.x[k]:.4g}); the initial function must return a finite number"
                )
            arr[base : base + data.n] = values

    # -- evaluation ----------------------------------------------------------------------
    def _args(self, nc, y):
        out = []
        for kind, idx in nc.getters:
            if kind == "state":
                out.append(y[idx])
            elif kind == "param":
                out.append(self.pvals[idx])
            else:
                out.append(idx)
        return out

    def local_rhs(self, y, out, diffusion=True, sources=True):
        """d/dt of the rxd states ``y`` into ``out`` (both of length ``size``), with the
        membrane's ion currents (as the cable computed them last) as sources; without the
        diffusion term or the sources when ``diffusion`` or ``sources`` is False."""
        if diffusion:
            out[:] = self.D @ y
        else:
            out.fill(0.0)
        for nc in self.classes:
            vals = nc.rhs_fn(*self._args(nc, y))
            for rows, v in zip(nc.rows, vals):
                out[rows] += v
        if sources:
            self._add_sources(out)

    def _add_sources(self, out):
        """The ion currents' contributions [mM/ms] (constant while the cable's currents
        are)."""
        if self.coupled:
            ions = self.model.ions
            for sor, ion, kind, rows, nodes, scale in self.coupled:
                out[rows] += scale * ions[ion].i[nodes]

    def local_jacobian(self, y):
        """Values of the Jacobian of ``local_rhs`` in the order of ``pattern`` (CSR data)."""
        J = self._jdata
        J.fill(0.0)
        J[self._D_pos] += self._D_data
        return self._add_reaction_jacobian(J, [nc.ent_pos for nc in self.classes], y)

    def _add_reaction_jacobian(self, J, positions, y):
        """Add the node classes' Jacobian entries at ``y`` into ``J``, class k's entries at
        ``positions[k]`` (one index array per entry); returns ``J``."""
        for nc, ent in zip(self.classes, positions):
            if nc.jac_fn is None:
                continue
            for pos, v in zip(ent, nc.jac_fn(*self._args(nc, y))):
                J[pos] += v
        return J

    # cable extension protocol ------------------------------------------------------------
    def rhs(self, model, t, out):
        self.local_rhs(self.y, out[self.offset : self.offset + self.size])

    def jacobian_pattern(self):
        return self._pat_rows, self._pat_cols

    def jacobian_values(self, model, t):
        return self.local_jacobian(self.y)

    #: Rosenbrock ROS2 (Verwer et al. 1999, SIAM J Sci Comput 20:1456): second order,
    #: L-stable, one factorization of I - gamma dt J and two solves per step.
    GAMMA = 1.0 + 1.0 / np.sqrt(2.0)
    #: ROS2 keeps its order with any matrix in place of J (a W-method), so the
    #: factorization is reused for this many steps (and renewed after initialization, a
    #: change of dt or cvode.re_init()). Measured on the 168874 base wave at dt = 1 ms:
    #: wave speed 70.2693 um/s refactoring every step, 70.2694 every 5 steps (70.2634 at
    #: dt = 0.1), at 60 % of the run time. A Jacobian no state or parameter enters (linear
    #: reactions only) is factored once per dt.
    refactor_every = 5

    def _refactor_due(self, dt):
        """Whether the step's matrix is to be factored now (counting the steps since it
        was): after initialization, a change of dt or ``refactor_every`` steps, these
        last only while the Jacobian varies (a state or a parameter enters it)."""
        self._since_factor += 1
        if self._factor_dt != dt or (self._jac_varies and self._since_factor >= self.refactor_every):
            self._since_factor = 0
            self._factor_dt = dt
            return True
        return False

    def state_changed(self):
        """The state was changed by hand: renew the factorization at the next step."""
        self._since_factor = self.refactor_every
    def fixed_step(self, model, t, dt):
        """One fixed step of the rxd states by ROS2:
        (I - g dt J) k1 = f(y); (I - g dt J) k2 = f(y + dt k1) - 2 k1;
        y += dt (3 k1 + k2) / 2, with g = 1 + 1/sqrt(2) and J the compiled Jacobian.
        With 3D regions, see :meth:`_fixed_step_3d`."""
        if self.size == 0:
            return
        if self.has_3d:
            self._fixed_step_3d(dt)
            return
        y = self.y
        f = self._f
        self.local_rhs(y, f)
        solver = self._solver
        if self._refactor_due(dt):
            solver.factor(self.local_jacobian(y), self.GAMMA * dt)
        k1 = solver.solve(f)
        self.local_rhs(y + dt * k1, f)
        k2 = solver.solve(f - 2.0 * k1)
        y += dt * (1.5 * k1 + 0.5 * k2)

def _target_idx_inst(inst, t):
    for s, info in inst.symbols.items():
        if info[0] == "state" and info[1] is t:
            return info
    raise RxdError(f"internal: target {t!r} has no symbol in its instance")


def _target_idx(nc, t):
    for s, info in nc.symbols.items():
        if info[0] == "state" and info[1] is t:
            return info
    raise RxdError(f"internal: target {t!r} has no symbol in its class")


def _as_index(idx):
    idx = np.asarray(idx, dtype=np.intp)
    if len(idx) and np.all(np.diff(idx) == 1):
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def _span(rows):
    """The slice equal to a run of consecutive indices ``rows`` (faster to index with)."""
    rows = np.asarray(rows)
    if len(rows) and np.array_equal(rows, np.arange(rows[0], rows[0] + len(rows))):
        return slice(int(rows[0]), int(rows[0]) + len(rows))
    return rows
