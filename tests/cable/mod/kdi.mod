TITLE Potassium current with a use-dependent inactivation, METHOD derivimplicit (a test model)

COMMENT
An activation gate n with voltage-dependent rates and an inactivation u that recovers at
rate kr and is removed at a rate proportional to n^3: u' = kr (1 - u) - ki n^3 u, which
is nonlinear and couples u to n, so the fixed step's Newton iterations and the
off-diagonal Jacobian matter. Written for the tests of rxdkit's NMODL loader (no
published model).
ENDCOMMENT

NEURON {
    SUFFIX kdi
    USEION k READ ek WRITE ik
    RANGE gbar, g
    GLOBAL kr, ki
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.01 (S/cm2)
    kr = 0.02 (/ms)
    ki = 0.4 (/ms)
}

STATE { n u }

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    alpha (/ms) beta (/ms)
}

BREAKPOINT {
    SOLVE states METHOD derivimplicit
    g = gbar*n*n*n*n*u
    ik = g*(v - ek)
}

INITIAL {
    rates(v)
    n = alpha/(alpha + beta)
    u = kr/(kr + ki*n*n*n)
}

DERIVATIVE states {
    rates(v)
    n' = alpha*(1 - n) - beta*n
    u' = kr*(1 - u) - ki*n*n*n*u
}

PROCEDURE rates(v (mV)) {
    alpha = 0.1*exp((v + 40)/15)
    beta = 0.1*exp(-(v + 40)/30)
}
