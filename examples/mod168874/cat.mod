TITLE cat: T-type calcium channel with a GHK driving force

COMMENT
Written for rxdkit's NMODL loader from the mathematical description of the channels of
ModelDB 168874 (shared/models/modeldb168874.md, section 4), as used in

  Neymotin SA, McDougal RA, Sherif MA, Fall CP, Hines ML, Lytton WW (2015). Neuronal
  calcium wave propagation varies with changes in endoplasmic reticulum parameters: a
  computer model. Neural Computation 27(4):898-924.

The channel model comes from

  Safiulina VF, Caiati MD, Sivakumaran S, Bisson G, Migliore M, Cherubini E (2010).
  Control of GABA release at mossy fiber-CA3 connections in the developing hippocampus.
  Front Synaptic Neurosci 2:1 (ModelDB 126814).

ica = gcatbar m^2 h ghk(v, cai, cao) (no calcium inactivation). tau_m is floored at mmin
and tau_h at hmin (neither divided by qt). The celsius default of 25 is ignored, as
NEURON ignores it: the simulation's temperature applies.
ENDCOMMENT

NEURON {
    SUFFIX cat
    USEION ca READ cai, cao WRITE ica
    RANGE gcatbar, ica, gcat
    GLOBAL q10, mmin, hmin, a0m, zetam, vhalfm, gmm, a0h, zetah, vhalfh, gmh, minf, hinf, taum, tauh
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (molar) = (1/liter)
    (mM) = (millimolar)
}

PARAMETER {
    v (mV)
    celsius = 25 (degC)
    gcatbar = 0.003 (mho/cm2)
    cai = 5e-5 (mM)
    cao = 2 (mM)
    q10 = 5
    mmin = 0.2 (ms)
    hmin = 10 (ms)
    a0m = 0.04 (/ms)
    zetam = 2
    vhalfm = -28 (mV)
    gmm = 0.1
    a0h = 0.015 (/ms)
    zetah = 3.5
    vhalfh = -75 (mV)
    gmh = 0.6
}

STATE { m h }

ASSIGNED {
    ica (mA/cm2)
    gcat (mho/cm2)
    minf
    hinf
    taum (ms)
    tauh (ms)
}

BREAKPOINT {
    SOLVE gates METHOD cnexp
    gcat = gcatbar*m*m*h
    ica = gcat*ghk(v, cai, cao)
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
    a = 0.2*(19.26 - v)/(exp((19.26 - v)/10) - 1)
    b = 0.009*exp(-v/22.03)
    minf = a/(a + b)
    taum = exp(0.0378*zetam*gmm*(v - vhalfm))/(qt*a0m*(1 + exp(0.0378*zetam*(v - vhalfm))))
    if (taum < mmin) {
        taum = mmin
    }
    a = 1e-6*exp(-v/16.26)
    b = 1/(exp((29.79 - v)/10) + 1)
    hinf = a/(a + b)
    tauh = exp(0.0378*zetah*gmh*(v - vhalfh))/(qt*a0h*(1 + exp(0.0378*zetah*(v - vhalfh))))
    if (tauh < hmin) {
        tauh = hmin
    }
}
