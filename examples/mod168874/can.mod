TITLE can: N-type calcium channel with a GHK driving force

COMMENT
Written for rxdkit's NMODL loader from the mathematical description of the channels of
ModelDB 168874 (shared/models/modeldb168874.md, section 3), as used in

  Neymotin SA, McDougal RA, Sherif MA, Fall CP, Hines ML, Lytton WW (2015). Neuronal
  calcium wave propagation varies with changes in endoplasmic reticulum parameters: a
  computer model. Neural Computation 27(4):898-924.

The channel model comes from

  Safiulina VF, Caiati MD, Sivakumaran S, Bisson G, Migliore M, Cherubini E (2010).
  Control of GABA release at mossy fiber-CA3 connections in the developing hippocampus.
  Front Synaptic Neurosci 2:1 (ModelDB 126814).

ica = gcanbar m^2 h ki/(ki + cai) ghk(v, cai, cao). tau_m is floored at mmin/qt; tau_h is
80 ms (its floor hmin never acts).
ENDCOMMENT

NEURON {
    SUFFIX can
    USEION ca READ cai, cao WRITE ica
    RANGE gcanbar, ica, gcan
    GLOBAL ki, q10, mmin, hmin, a0m, zetam, vhalfm, gmm, minf, hinf, taum, tauh
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (molar) = (1/liter)
    (mM) = (millimolar)
}

PARAMETER {
    v (mV)
    celsius (degC)
    gcanbar = 0.0003 (mho/cm2)
    ki = 0.001 (mM)
    cai = 5e-5 (mM)
    cao = 2 (mM)
    q10 = 5
    mmin = 0.2 (ms)
    hmin = 3 (ms)
    a0m = 0.03 (/ms)
    zetam = 2
    vhalfm = -14 (mV)
    gmm = 0.1
}

STATE { m h }

ASSIGNED {
    ica (mA/cm2)
    gcan (mho/cm2)
    minf
    hinf
    taum (ms)
    tauh (ms)
}

BREAKPOINT {
    SOLVE gates METHOD cnexp
    gcan = gcanbar*m*m*h*ki/(ki + cai)
    ica = gcan*ghk(v, cai, cao)
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
}

DERIVATIVE gates {
    rates(v)
    m' = (minf - m)/taum
    h' = (hinf - h)/tauh
}

FUNCTION ghk(v (mV), ci (mM), co (mM)) (mV) {
    LOCAL nu, f
    f = (25/293.15)*(celsius + 273.15)/2
    nu = v/f
    ghk = -f*(1 - (ci/co)*exp(nu))*efun(nu)
}

FUNCTION efun(z) {
    if (fabs(z) < 1e-4) {
        efun = 1 - z/2
    } else {
        efun = z/(exp(z) - 1)
    }
}

PROCEDURE rates(v (mV)) {
    LOCAL a, b, qt
    qt = q10^((celsius - 25)/10)
    a = 0.1967*(19.88 - v)/(exp((19.88 - v)/10) - 1)
    b = 0.046*exp(-v/20.73)
    minf = a/(a + b)
    taum = exp(0.0378*zetam*gmm*(v - vhalfm))/(qt*a0m*(1 + exp(0.0378*zetam*(v - vhalfm))))
    if (taum < mmin/qt) {
        taum = mmin/qt
    }
    a = 1.6e-4*exp(-v/48.4)
    b = 1/(exp((39 - v)/10) + 1)
    hinf = a/(a + b)
    tauh = 80
    if (tauh < hmin) {
        tauh = hmin
    }
}
