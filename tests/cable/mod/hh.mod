TITLE Hodgkin-Huxley sodium, potassium and leak channels of the squid giant axon

COMMENT
Written for rxdkit's NMODL loader from the Hodgkin-Huxley equations:

  Hodgkin AL, Huxley AF (1952). A quantitative description of membrane current and
  its application to conduction and excitation in nerve. J Physiol 117:500-544.

The rate constants are expressed for a resting potential of -65 mV, with the temperature
factor 3^((celsius - 6.3)/10); the steady states and time constants come from a table of
201 points over -100..100 mV, interpolated linearly, unless usetable_hh = 0. This is the
same model as the built-in mechanism cable.hh, written here as a mod file.
ENDCOMMENT

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

NEURON {
    SUFFIX hh
    USEION na READ ena WRITE ina
    USEION k READ ek WRITE ik
    NONSPECIFIC_CURRENT il
    RANGE gnabar, gkbar, gl, el, gna, gk
    GLOBAL minf, hinf, ninf, mtau, htau, ntau
    THREADSAFE
}

PARAMETER {
    gnabar = 0.12 (S/cm2) <0, 1e9>   : peak sodium conductance
    gkbar = 0.036 (S/cm2) <0, 1e9>   : peak potassium conductance
    gl = 0.0003 (S/cm2) <0, 1e9>     : leak conductance
    el = -54.3 (mV)                  : leak reversal potential
}

STATE { m h n }

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ek (mV)
    gna (S/cm2)
    gk (S/cm2)
    ina (mA/cm2)
    ik (mA/cm2)
    il (mA/cm2)
    minf hinf ninf
    mtau (ms) htau (ms) ntau (ms)
}

BREAKPOINT {
    SOLVE gates METHOD cnexp
    gna = gnabar*m*m*m*h
    ina = gna*(v - ena)
    gk = gkbar*n*n*n*n
    ik = gk*(v - ek)
    il = gl*(v - el)
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
    n = ninf
}

DERIVATIVE gates {
    rates(v)
    m' = (minf - m)/mtau
    h' = (hinf - h)/htau
    n' = (ninf - n)/ntau
}

PROCEDURE rates(v (mV)) {
    : opening (alpha) and closing (beta) rates [/ms] of each gate at v
    LOCAL alpha, beta, q10
    TABLE minf, mtau, hinf, htau, ninf, ntau DEPEND celsius FROM -100 TO 100 WITH 200
    UNITSOFF
    q10 = 3^((celsius - 6.3)/10)
    alpha = 0.1*linoid(-(v + 40), 10)
    beta = 4*exp(-(v + 65)/18)
    minf = alpha/(alpha + beta)
    mtau = 1/(q10*(alpha + beta))
    alpha = 0.07*exp(-(v + 65)/20)
    beta = 1/(exp(-(v + 35)/10) + 1)
    hinf = alpha/(alpha + beta)
    htau = 1/(q10*(alpha + beta))
    alpha = 0.01*linoid(-(v + 55), 10)
    beta = 0.125*exp(-(v + 65)/80)
    ninf = alpha/(alpha + beta)
    ntau = 1/(q10*(alpha + beta))
    UNITSON
}

FUNCTION linoid(x, y) {
    : x/(exp(x/y) - 1), replaced near x = 0 by its expansion y*(1 - x/y/2)
    if (fabs(x/y) < 1e-6) {
        linoid = y*(1 - x/y/2)
    } else {
        linoid = x/(exp(x/y) - 1)
    }
}
