TITLE Detector: emits an event a fixed delay after each input event

COMMENT
Written for cable's tests. A point process with no current: each input event (flag 0)
is counted, per NetCon too (the second and third NET_RECEIVE arguments are
per-connection state, reset by the INITIAL block inside NET_RECEIVE), and schedules a
self-event (net_send) delay ms later; the self-event (flag 1) emits an output event
(net_event) at its own time. So input at t gives output at exactly t + delay.
ENDCOMMENT

NEURON {
    POINT_PROCESS Detector
    RANGE delay, count, tlast
}

PARAMETER {
    delay = 2 (ms)
}

ASSIGNED {
    count
    tlast (ms)
}

INITIAL {
    count = 0
    tlast = -1
}

NET_RECEIVE (w, n, tprev (ms)) {
    INITIAL {
        n = 0
        tprev = -1
    }
    if (flag == 0) {
        count = count + 1
        n = n + 1
        tprev = t
        net_send(delay, 1)
    } else if (flag == 1) {
        tlast = t
        net_event(t)
    }
}
