TITLE kap: A-type potassium channel (proximal dendrites)

COMMENT
Written for rxdkit's NMODL loader from the mathematical description of the channels of
ModelDB 168874 (shared/models/modeldb168874.md, section 6), as used in

  Neymotin SA, McDougal RA, Sherif MA, Fall CP, Hines ML, Lytton WW (2015). Neuronal
  calcium wave propagation varies with changes in endoplasmic reticulum parameters: a
  computer model. Neural Computation 27(4):898-924.

The channel model follows the A current of

  Klee R, Ficker E, Heinemann U (1995). Comparison of voltage-dependent potassium
  currents in rat pyramidal neurons acutely isolated from hippocampal regions CA1 and
  CA3. J Neurophysiol 74:1982-1995.

as modified by M. Migliore (1997, 2001). ik = gkabar n l (v - ek). Activation n has a
voltage-dependent valence; tau_n is floored at nmin and tau_l (linear in v) at lmin/qtl.
K = 1e-3 F/(R T) uses the rounded constants 9.648e4 and 8.315 and T = 273.16 + celsius.
lmin and nmin are times (ms).
ENDCOMMENT

NEURON {
    SUFFIX kap
    USEION k READ ek WRITE ik
    RANGE gkabar, gka, sh
    GLOBAL ninf, linf, taul, taun, lmin, nmin, vhalfn, vhalfl, a0n, zetan, zetal, gmn, pw, tq, qq, q10, qtl
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    v (mV)
    celsius (degC)
    gkabar = 0.008 (mho/cm2)
    vhalfn = 11 (mV)
    vhalfl = -56 (mV)
    a0l = 0.05 (/ms)
    a0n = 0.05 (/ms)
    zetan = -1.5 (1)
    zetal = 3 (1)
    gmn = 0.55 (1)
    gml = 1 (1)
    lmin = 2 (ms)
    nmin = 0.1 (ms)
    pw = -1 (1)
    tq = -40 (mV)
    qq = 5 (mV)
    q10 = 5
    qtl = 1
    sh = 6 (mV)
}

STATE { n l }

ASSIGNED {
    ik (mA/cm2)
    ek (mV)
    ninf
    linf
    taul (ms)
    taun (ms)
    gka (mho/cm2)
}

BREAKPOINT {
    SOLVE gates METHOD cnexp
    gka = gkabar*n*l
    ik = gka*(v - ek)
}

INITIAL {
    rates(v)
    n = ninf
    l = linf
}

DERIVATIVE gates {
    rates(v)
    n' = (ninf - n)/taun
    l' = (linf - l)/taul
}

FUNCTION efold(celsius (degC)) (/mV) {
    efold = 1e-3*9.648e4/(8.315*(273.16 + celsius))
}

PROCEDURE rates(v (mV)) {
    LOCAL an, bn, al, qt, zeta, k
    k = efold(celsius)
    qt = q10^((celsius - 24)/10)
    zeta = zetan + pw/(1 + exp((v - tq - sh)/qq))
    an = exp(zeta*(v - vhalfn - sh)*k)
    bn = exp(zeta*gmn*(v - vhalfn - sh)*k)
    ninf = 1/(1 + an)
    taun = bn/(qt*a0n*(1 + an))
    if (taun < nmin) {
        taun = nmin
    }
    al = exp(zetal*(v - vhalfl - sh)*k)
    linf = 1/(1 + al)
    taul = 0.26*(v + 50 - sh)/qtl
    if (taul < lmin/qtl) {
        taul = lmin/qtl
    }
}
