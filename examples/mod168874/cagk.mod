TITLE cagk: calcium- and voltage-activated potassium channel (BK type)

COMMENT
Written for rxdkit's NMODL loader from the mathematical description of the channels of
ModelDB 168874 (shared/models/modeldb168874.md, section 5), as used in

  Neymotin SA, McDougal RA, Sherif MA, Fall CP, Hines ML, Lytton WW (2015). Neuronal
  calcium wave propagation varies with changes in endoplasmic reticulum parameters: a
  computer model. Neural Computation 27(4):898-924.

The gating scheme follows

  Moczydlowski E, Latorre R (1983). Gating kinetics of Ca2+-activated K+ channels from
  rat muscle incorporated into planar lipid bilayers. J Gen Physiol 82:511-542.

The open probability o relaxes to oinf = alpha tau with tau = 1/(alpha + beta), where
alpha rises and beta falls with cai, both through voltage-dependent dissociation
constants k exp(-2 d F v/(R T)). F is NEURON's Faraday constant in kC/mol; R is the
file's own 8.313424 J/(mol K).
ENDCOMMENT

NEURON {
    SUFFIX cagk
    USEION ca READ cai
    USEION k READ ek WRITE ik
    RANGE gbar, gkca, ik
    GLOBAL oinf, tau, d1, d2, k1, k2, abar, bbar, st
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (molar) = (1/liter)
    (mM) = (millimolar)
    FARADAY = (faraday) (kilocoulombs)
    R = 8.313424 (joule/degC)
}

PARAMETER {
    celsius (degC)
    v (mV)
    gbar = 0.01 (mho/cm2)
    cai (mM)
    d1 = 0.84
    d2 = 1.0
    k1 = 0.48e-3 (mM)
    k2 = 0.13e-6 (mM)
    abar = 0.28 (/ms)
    bbar = 0.48 (/ms)
    st = 1 (1)
}

ASSIGNED {
    ik (mA/cm2)
    oinf
    tau (ms)
    gkca (mho/cm2)
    ek (mV)
}

STATE { o }

BREAKPOINT {
    SOLVE gate METHOD cnexp
    gkca = gbar*o^st
    ik = gkca*(v - ek)
}

INITIAL {
    rate(v, cai)
    o = oinf
}

DERIVATIVE gate {
    rate(v, cai)
    o' = (oinf - o)/tau
}

FUNCTION dissociation(k (mM), d, v (mV)) (mM) {
    dissociation = k*exp(-2*d*FARADAY*v/R/(273.15 + celsius))
}

FUNCTION opening(v (mV), c (mM)) (/ms) {
    opening = abar*c/(c + dissociation(k1, d1, v))
}

FUNCTION closing(v (mV), c (mM)) (/ms) {
    closing = bbar/(1 + c/dissociation(k2, d2, v))
}

PROCEDURE rate(v (mV), c (mM)) {
    LOCAL a
    a = opening(v, c)
    tau = 1/(a + closing(v, c))
    oinf = a*tau
}
