: Simple high-threshold calcium channel used by the ion / rxd reference data
: (tests/reference/make_ion_refs.py).  One activation gate m, squared:
:     ica = gcabar * m^2 * (v - eca),   m' = (minf(v) - m) / mtau
:     minf(v) = 1 / (1 + exp(-(v + 20) / 5))
: eca is read (so it follows cai / cao when rxd or another mechanism
: changes the concentrations); no temperature dependence.

NEURON {
    SUFFIX cachan
    USEION ca READ eca WRITE ica
    RANGE gcabar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gcabar = 0.002 (S/cm2)
    mtau = 1 (ms)
}

ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
}

STATE {
    m
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = gcabar*m*m*(v - eca)
}

INITIAL {
    m = minf(v)
}

DERIVATIVE states {
    m' = (minf(v) - m)/mtau
}

FUNCTION minf(v (mV)) {
    minf = 1/(1 + exp(-(v + 20)/5))
}
