"""A spiking soma that lets calcium in: hh, a voltage-gated calcium current written with
the mechanism API, rxd calcium with a buffer and a pump that carries its current.

Run:  python examples/ca_spike_buffer.py --out out/ca_spike_buffer.png

Soma L = diam = 20 um with hh and ``cachan`` (gcabar 0.002 S/cm2, m^2 gating,
ica = gcabar m^2 (v - eca)); IClamp 0.3 nA from 20 to 120 ms. rxd: ca in the cytosol
(nrn_region 'i', so ica flows in and cai follows the node) and in an outer shell
(nrn_region 'o'); a buffer ca + buf <-> cabuf (kf 100 /mM/ms, kb 0.1 /ms); a pump moving
ca out across the membrane (30 molecules/um2/ms at saturation, Km 1 uM) with
membrane_flux=True, so it carries an outward current. eca follows Nernst.
"""

import argparse
import pathlib

import numpy as np

import rxd
from cable import DensityMechanism, IonUse, Simulation


def _cachan_rates(v, states, params, ions, ctx):
    minf = 1.0 / (1.0 + np.exp(-(v + 20.0) / 5.0))
    return {"m": (minf, params["mtau"] + 0.0 * v)}


def _cachan_current(v, states, params, ions, ctx):
    m = states["m"]
    return {"ica": params["gcabar"] * m * m * (v - ions["eca"])}


cachan = DensityMechanism(
    name="cachan",
    parameters={"gcabar": 0.002, "mtau": 1.0},
    states=("m",),
    ions=(IonUse("ca", read=("eca",), write=("ica",)),),
    rates=_cachan_rates,
    current=_cachan_current,
    units={"gcabar": "S/cm2", "mtau": "ms", "ica": "mA/cm2"},
)


def build(sim, pump=True, buffer=True):
    """The soma and its calcium handling in ``sim``; returns a dict of the parts."""
    sim.register_mechanism(cachan)
    soma = sim.Section("soma", L=20, diam=20, Ra=100)
    soma.insert("hh")
    soma.insert("cachan")
    stim = sim.IClamp(soma(0.5), delay=20, dur=100, amp=0.3)
    cyt = rxd.Region([soma], name="cyt", nrn_region="i")
    ecs = rxd.Region([soma], name="ecs", nrn_region="o", geometry=rxd.Shell(1, 2))
    mem = rxd.Region([soma], name="mem", geometry=rxd.membrane)
    ca = rxd.Species([cyt, ecs], d=0.6, name="ca", charge=2, initial=lambda nd: 5e-5 if nd.region is cyt else 2.0)
    parts = dict(soma=soma, stim=stim, cyt=cyt, ecs=ecs, mem=mem, ca=ca)
    if buffer:
        buf = rxd.Species(cyt, d=0, name="buf", initial=0.05)
        cabuf = rxd.Species(cyt, d=0, name="cabuf", initial=0)
        parts.update(buf=buf, cabuf=cabuf, buffering=rxd.Reaction(ca[cyt] + buf != cabuf, 100.0, 0.1))
    if pump:
        parts["pump"] = rxd.MultiCompartmentReaction(
            ca[cyt] > ca[ecs], 30.0 * ca[cyt] / (ca[cyt] + 0.001), membrane=mem, custom_dynamics=True, membrane_flux=True
        )
    return parts


def run(tstop=200.0, cvode=False, dt=0.025, record_dt=0.025, **kwargs):
    """Returns a dict of numpy arrays: t [ms], v [mV], cai, cabuf, buf [mM], eca [mV], ica [mA/cm2]."""
    sim = Simulation(dt=dt)
    m = build(sim, **kwargs)
    if cvode:
        sim.cvode.active(1)
        sim.cvode.atol(1e-5)
    seg = m["soma"](0.5)
    rec = {"t": sim.record_t(record_dt), "v": sim.record(seg, "v", record_dt)}
    for name in ("cai", "cao", "eca", "ica"):
        rec[name] = sim.record(seg, name, record_dt)
    from cable import Vector

    for name in ("buf", "cabuf"):
        if name in m:
            rec[name] = Vector().record(m[name].nodes[0]._ref_concentration, record_dt)
    sim.finitialize(-65)
    sim.continuerun(tstop)
    out = {k: r.as_numpy().copy() for k, r in rec.items()}
    out["sim"] = sim
    out["parts"] = m
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("out/ca_spike_buffer.png"))
    parser.add_argument("--cvode", action="store_true")
    args = parser.parse_args()
    r = run(cvode=args.cvode)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True, layout="constrained")
    axes[0].plot(r["t"], r["v"], lw=1)
    axes[0].set_ylabel("v (mV)")
    axes[0].set_title("HH soma with Ca current, Ca buffer and Ca pump (membrane_flux)")
    axes[1].plot(r["t"], r["cai"] * 1e3, lw=1, label="free Ca (cai)")
    axes[1].set_ylabel("cai (uM)")
    axes[2].plot(r["t"], r["cabuf"] * 1e3, lw=1, label="Ca-bound buffer")
    axes[2].plot(r["t"], r["buf"] * 1e3, lw=1, label="free buffer")
    axes[2].set_ylabel("buffer (uM)")
    axes[2].set_xlabel("t (ms)")
    axes[2].legend(loc="center right")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"peak cai {r['cai'].max() * 1e3:.2f} uM; min eca {r['eca'].min():.1f} mV; wrote {args.out}")


if __name__ == "__main__":
    main()
