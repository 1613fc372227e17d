TITLE if/else with side effects, a tabulated FUNCTION and values kept between blocks (a test model)

NEURON {
    SUFFIX branches
    NONSPECIFIC_CURRENT i
    RANGE g, x, y, f, first
    GLOBAL k
}

PARAMETER {
    g = 0.001 (S/cm2)
    k = 2
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
    x
    y
    f
    first
}

INITIAL {
    first = v
}

BREAKPOINT {
    classify(v)
    f = square(v)
    i = g*(v - first)
}

PROCEDURE classify(u) {
    if (u > -50) {
        x = 1
        y = u
    } else if (u > -60) {
        x = 2
    } else {
        y = -u
    }
}

FUNCTION square(u) {
    TABLE DEPEND k FROM -100 TO 100 WITH 200
    square = k*u*u
}
