TITLE Pacemaker: a synapse that excites itself periodically (net_send from INITIAL)

COMMENT
Written for cable's tests. INITIAL schedules the first self-event at first ms; each
self-event adds gmax to g (decaying with tau), emits an event (net_event) and schedules
the next one period ms later. A point process whose INITIAL sends events: its INITIAL
also runs as scalar code per instance at finitialize.
ENDCOMMENT

NEURON {
    POINT_PROCESS Pacemaker
    RANGE first, period, gmax, tau, e, i, n
    NONSPECIFIC_CURRENT i
}

PARAMETER {
    first = 1 (ms)
    period = 4 (ms)
    gmax = 0.001 (uS)
    tau = 2 (ms)
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
    n
}

STATE {
    g (uS)
}

INITIAL {
    g = 0
    n = 0
    if (first >= 0) {
        net_send(first, 1)
    }
}

BREAKPOINT {
    SOLVE decay METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE decay {
    g' = -g/tau
}

NET_RECEIVE (w) {
    if (flag == 1) {
        g = g + gmax
        n = n + 1
        net_event(t)
        net_send(period, 1)
    }
}
