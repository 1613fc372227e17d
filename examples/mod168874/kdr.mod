TITLE kdr: delayed-rectifier potassium channel

COMMENT
Written for rxdkit's NMODL loader from the mathematical description of the channels of
ModelDB 168874 (shared/models/modeldb168874.md, section 7), as used in

  Neymotin SA, McDougal RA, Sherif MA, Fall CP, Hines ML, Lytton WW (2015). Neuronal
  calcium wave propagation varies with changes in endoplasmic reticulum parameters: a
  computer model. Neural Computation 27(4):898-924.

The channel model follows the delayed rectifier of

  Klee R, Ficker E, Heinemann U (1995). Comparison of voltage-dependent potassium
  currents in rat pyramidal neurons acutely isolated from hippocampal regions CA1 and
  CA3. J Neurophysiol 74:1982-1995.

as modified by M. Migliore (1997). ik = gkdrbar n (v - ek) (first power); when tau_n
falls below nmax it is set to nmax/qt (qt = 1 here).
ENDCOMMENT

NEURON {
    SUFFIX kdr
    USEION k READ ek WRITE ik
    RANGE gkdrbar, gkdr, sh
    GLOBAL ninf, taun, vhalfn, a0n, zetan, gmn, nmax, q10
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    v (mV)
    celsius (degC)
    gkdrbar = 0.003 (mho/cm2)
    vhalfn = 13 (mV)
    a0n = 0.02 (/ms)
    zetan = -3 (1)
    gmn = 0.7 (1)
    nmax = 2 (ms)
    q10 = 1
    sh = 6 (mV)
}

STATE { n }

ASSIGNED {
    ik (mA/cm2)
    ek (mV)
    ninf
    taun (ms)
    gkdr (mho/cm2)
}

BREAKPOINT {
    SOLVE gate METHOD cnexp
    gkdr = gkdrbar*n
    ik = gkdr*(v - ek)
}

INITIAL {
    rates(v)
    n = ninf
}

DERIVATIVE gate {
    rates(v)
    n' = (ninf - n)/taun
}

PROCEDURE rates(v (mV)) {
    LOCAL a, b, qt, k
    k = 1e-3*9.648e4/(8.315*(273.16 + celsius))
    qt = q10^((celsius - 24)/10)
    a = exp(zetan*(v - vhalfn - sh)*k)
    b = exp(zetan*gmn*(v - vhalfn - sh)*k)
    ninf = 1/(1 + a)
    taun = b/(qt*a0n*(1 + a))
    if (taun < nmax) {
        taun = nmax/qt
    }
}
