TITLE ExpSynMod: a synapse with one exponential decay, in NMODL

COMMENT
Written for cable's tests (not taken from NEURON's source): the conductance g jumps by
the NetCon weight at each event and decays with time constant tau; the current is
i = g (v - e), outward positive. The same model as NEURON's built-in ExpSyn, described
in Hines ML & Carnevale NT (2004) Discrete event simulation in the NEURON environment.
Neurocomputing 58-60:1117-1122, and in The NEURON Book (Carnevale & Hines 2006, ch. 10).
ENDCOMMENT

NEURON {
    POINT_PROCESS ExpSynMod
    RANGE tau, e, i
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau = 0.1 (ms) <1e-9, 1e9>
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
}

STATE {
    g (uS)
}

INITIAL {
    g = 0
}

BREAKPOINT {
    SOLVE decay METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE decay {
    g' = -g/tau
}

NET_RECEIVE (weight (uS)) {
    g = g + weight
}
