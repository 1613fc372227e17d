: A density mechanism with no STATE whose INITIAL sets a RANGE value (test of INITIAL
: without states; no published model).
NEURON {
    SUFFIX initonly
    RANGE x0
}
ASSIGNED {
    v (mV)
    x0 (mV)
}
INITIAL {
    x0 = v + 1
}
BREAKPOINT {
}
