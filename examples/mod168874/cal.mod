TITLE cal: L-type calcium channel with a GHK driving force and calcium-dependent inactivation

COMMENT
Written for rxdkit's NMODL loader from the mathematical description of the channels of
ModelDB 168874 (shared/models/modeldb168874.md, section 2), as used in

  Neymotin SA, McDougal RA, Sherif MA, Fall CP, Hines ML, Lytton WW (2015). Neuronal
  calcium wave propagation varies with changes in endoplasmic reticulum parameters: a
  computer model. Neural Computation 27(4):898-924.

The channel model comes from

  Jaffe DB, Ross WN, Lisman JE, Lasser-Ross N, Miyakawa H, Johnston D (1994). A model for
  dendritic Ca2+ accumulation in hippocampal pyramidal neurons based on fluorescence
  imaging measurements. J Neurophysiol 71:1065-1077.
  Migliore M, Cook EP, Jaffe DB, Turner DA, Johnston D (1995). Computer simulations of
  morphologically reconstructed CA3 hippocampal neurons. J Neurophysiol 73:1157-1168.
  Miceli F, Soldovieri MV, Ambrosino P, Barrese V, Migliore M, Cilio MR, Taglialatela M
  (2013). Genotype-phenotype correlations in neonatal epilepsies caused by mutations in
  the voltage sensor of Kv7.2 potassium channel subunits. PNAS 110:4386-4391.

ica = gcalbar m^2 ki/(ki + cai) ghk(v, cai, cao), where ghk [mV] is a GHK-type driving
force with kT/q taken as 25 mV at 20 degC. m relaxes to minf with time constant tau,
floored at mmin/qt.
ENDCOMMENT

NEURON {
    SUFFIX cal
    USEION ca READ cai, cao WRITE ica
    RANGE gcalbar, cai, ica, gcal, ggk
    GLOBAL ki, q10, mmin, a0m, zetam, vhalfm, gmm, minf, tau
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
    gcalbar = 0.003 (mho/cm2)
    ki = 0.001 (mM)
    cai = 5e-5 (mM)
    cao = 2 (mM)
    q10 = 5
    mmin = 0.2 (ms)
    tfa = 1
    a0m = 0.1 (/ms)
    zetam = 2
    vhalfm = 4 (mV)
    gmm = 0.1
}

STATE { m }

ASSIGNED {
    ica (mA/cm2)
    gcal (mho/cm2)
    ggk (mV)
    minf
    tau (ms)
}

BREAKPOINT {
    SOLVE gate METHOD cnexp
    gcal = gcalbar*m*m*inactivation(cai)
    ggk = ghk(v, cai, cao)
    ica = gcal*ggk
}

INITIAL {
    rates(v)
    m = minf
}

DERIVATIVE gate {
    rates(v)
    m' = (minf - m)/tau
}

FUNCTION inactivation(c (mM)) {
    inactivation = ki/(ki + c)
}

FUNCTION ghk(v (mV), ci (mM), co (mM)) (mV) {
    LOCAL nu, f
    f = thermal(celsius)/2
    nu = v/f
    ghk = -f*(1 - (ci/co)*exp(nu))*efun(nu)
}

FUNCTION thermal(celsius (degC)) (mV) {
    : 25 mV at 20 degC, scaled with absolute temperature
    thermal = (25/293.15)*(celsius + 273.15)
}

FUNCTION efun(z) {
    if (fabs(z) < 1e-4) {
        efun = 1 - z/2
    } else {
        efun = z/(exp(z) - 1)
    }
}

FUNCTION alpha(v (mV)) (/ms) {
    alpha = 15.69*(81.5 - v)/(exp((81.5 - v)/10) - 1)
}

FUNCTION beta(v (mV)) (/ms) {
    beta = 0.29*exp(-v/10.86)
}

FUNCTION expa(v (mV)) {
    expa = exp(0.0378*zetam*(v - vhalfm))
}

FUNCTION expb(v (mV)) {
    expb = exp(0.0378*zetam*gmm*(v - vhalfm))
}

PROCEDURE rates(v (mV)) {
    LOCAL a, b, qt
    qt = q10^((celsius - 25)/10)
    a = alpha(v)
    b = beta(v)
    minf = a/(a + b)
    tau = expb(v)/(qt*a0m*(1 + expa(v)))
    if (tau < mmin/qt) {
        tau = mmin/qt
    }
}
