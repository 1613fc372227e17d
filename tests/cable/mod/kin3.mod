TITLE Three-state potassium channel C <-> O <-> I as a KINETIC scheme (a test model)

COMMENT
A closed (C), open (O) and inactivated (I) state with voltage-dependent rates, written
for the tests of rxdkit's NMODL loader (no published model). Mass action with
conservation C + O + I = 1.
ENDCOMMENT

NEURON {
    SUFFIX kin3
    USEION k READ ek WRITE ik
    RANGE gbar, g
    GLOBAL a0, b0, c0, d0, va, vb, vc, vd
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.02 (S/cm2)
    a0 = 0.5 (/ms)   va = 12 (mV)
    b0 = 0.3 (/ms)   vb = 15 (mV)
    c0 = 0.08 (/ms)  vc = 20 (mV)
    d0 = 0.004 (/ms) vd = 25 (mV)
}

STATE { C O I }

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    alpha (/ms) beta (/ms) gamma (/ms) delta (/ms)
}

BREAKPOINT {
    SOLVE scheme METHOD sparse
    g = gbar*O
    ik = g*(v - ek)
}

INITIAL {
    rates(v)
    C = 1
    O = 0
    I = 0
}

KINETIC scheme {
    rates(v)
    ~ C <-> O (alpha, beta)
    ~ O <-> I (gamma, delta)
    CONSERVE C + O + I = 1
}

PROCEDURE rates(v (mV)) {
    alpha = a0*exp((v + 40)/va)
    beta = b0*exp(-(v + 40)/vb)
    gamma = c0*exp((v + 30)/vc)
    delta = d0*exp(-(v + 30)/vd)
}
