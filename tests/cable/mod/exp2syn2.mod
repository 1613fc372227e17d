TITLE Exp2SynMod: a synapse with a rise and a decay time constant, in NMODL

COMMENT
Written for cable's tests (not taken from NEURON's source). The conductance is the
difference of two exponentials, g = B - A, A decaying with tau1 (rise) and B with tau2
(decay), tau1 < tau2. An event of weight w adds w*factor to both, where factor makes the
peak of g equal to w: the peak is at tp = tau1 tau2/(tau2 - tau1) ln(tau2/tau1). As
NEURON's Exp2Syn, INITIAL keeps tau1/tau2 within [1e-9, 0.9999] (tau1 = tau2 would
divide by zero). The dual-exponential synapse is standard, see e.g. Roth A & van Rossum
MCW (2009) Modeling synapses, in Computational Modeling Methods for Neuroscientists
(De Schutter E, ed), MIT Press; Carnevale & Hines, The NEURON Book (2006).
ENDCOMMENT

NEURON {
    POINT_PROCESS Exp2SynMod
    RANGE tau1, tau2, e, i, g
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau1 = 0.1 (ms) <1e-9, 1e9>
    tau2 = 10 (ms) <1e-9, 1e9>
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    factor
}

STATE {
    A (uS)
    B (uS)
}

INITIAL {
    LOCAL tpeak
    if (tau1/tau2 > 0.9999) {
        tau1 = 0.9999*tau2
    }
    if (tau1/tau2 < 1e-9) {
        tau1 = tau2*1e-9
    }
    A = 0
    B = 0
    tpeak = (tau1*tau2)/(tau2 - tau1)*log(tau2/tau1)
    factor = -exp(-tpeak/tau1) + exp(-tpeak/tau2)
    factor = 1/factor
}

BREAKPOINT {
    SOLVE twostates METHOD cnexp
    g = B - A
    i = g*(v - e)
}

DERIVATIVE twostates {
    A' = -A/tau1
    B' = -B/tau2
}

NET_RECEIVE (weight (uS)) {
    A = A + weight*factor
    B = B + weight*factor
}
