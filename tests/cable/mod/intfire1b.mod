TITLE IntFire1Mod: a leaky integrate-and-fire cell driven by events, in NMODL

COMMENT
Written for cable's tests (not taken from NEURON's source), with the semantics of
NEURON's IntFire1 (Hines ML & Carnevale NT (2004) Discrete event simulation in the
NEURON environment. Neurocomputing 58-60:1117-1122; The NEURON Book, ch. 10).
The membrane state m decays as m(t) = m(t0) exp(-(t - t0)/tau) between events, so it
is updated only when an event arrives: an event of weight w adds w; when m exceeds 1
the cell fires (net_event) and is refractory for refrac ms, ended by a self-event
(net_send with flag 1). M() is m at the present time (2 while refractory).
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL IntFire1Mod
    RANGE tau, refrac, m
}

PARAMETER {
    tau = 10 (ms)
    refrac = 5 (ms)
}

ASSIGNED {
    m
    t0 (ms)
    refractory
}

INITIAL {
    m = 0
    t0 = t
    refractory = 0
}

FUNCTION M() {
    if (refractory == 0) {
        M = m*exp(-(t - t0)/tau)
    } else {
        M = 2
    }
}

NET_RECEIVE (w) {
    if (refractory == 0) {
        m = m*exp(-(t - t0)/tau)
        t0 = t
        m = m + w
        if (m > 1) {
            refractory = 1
            m = 2
            net_send(refrac, 1)
            net_event(t)
        }
    } else if (flag == 1) {
        t0 = t
        refractory = 0
        m = 0
    }
}
