TITLE DelayedSyn: a synapse whose conductance jumps a fixed lag after each event

COMMENT
Written for cable's tests. An input event (flag 0) schedules a self-event lag ms later
(net_send); the self-event (flag 1) carries the weight list of the event that sent it
(as in NEURON) and adds its weight to g, which decays with tau. Under CVODE the jump
happens at a self-event, so the integrator must restart from it.
ENDCOMMENT

NEURON {
    POINT_PROCESS DelayedSyn
    RANGE tau, lag, e, i
    NONSPECIFIC_CURRENT i
}

PARAMETER {
    tau = 2 (ms)
    lag = 3 (ms)
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
}

STATE {
    g (uS)
}

BREAKPOINT {
    SOLVE decay METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE decay {
    g' = -g/tau
}

NET_RECEIVE (w (uS)) {
    if (flag == 0) {
        net_send(lag, 1)
    } else {
        g = g + w
    }
}
