TITLE EvtProbe: the statements NET_RECEIVE may use, for cable's tests

COMMENT
Written for cable's tests. Each event of weight w adds sat(gain*w) to the state g
(sat(x) = x/(1 + |x|), tabulated as NEURON's TABLE does), through the old spelling
state_discontinuity; it notes the membrane potential and the time, counts events in
the GLOBAL ntotal, sums gain*w in s through a PROCEDURE with a LOCAL, and adds 1000 to s
when 5 < gain*w <= 100.
ENDCOMMENT

NEURON {
    POINT_PROCESS EvtProbe
    RANGE gain, vlast, tlast, s, i
    GLOBAL ntotal
    NONSPECIFIC_CURRENT i
}

PARAMETER {
    gain = 1
    ntotal = 0
}

ASSIGNED {
    v (mV)
    i (nA)
    vlast (mV)
    tlast (ms)
    s
}

STATE {
    g
}

INITIAL {
    g = 0
    s = 0
}

BREAKPOINT {
    SOLVE decay METHOD cnexp
    i = 0
}

DERIVATIVE decay {
    g' = -g/5
}

FUNCTION sat(x) {
    TABLE FROM -10 TO 10 WITH 200
    sat = x/(1 + fabs(x))
}

PROCEDURE note(x) {
    LOCAL y
    y = x*2
    s = s + y/2
}

NET_RECEIVE (w) {
    LOCAL k
    k = gain*w
    state_discontinuity(g, g + sat(k))
    vlast = v
    tlast = t
    ntotal = ntotal + 1
    note(k)
    if (k > 5 && !(k > 100)) {
        s = s + 1000
    }
}
