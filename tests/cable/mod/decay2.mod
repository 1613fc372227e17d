TITLE Second-order decay x' = -r x^2, a nonlinear DERIVATIVE block (a test model)

NEURON {
    SUFFIX decay2
    RANGE r, x0
}

PARAMETER {
    r = 0.5 (/ms)
    x0 = 2
}

STATE { x }

BREAKPOINT {
    SOLVE dyn METHOD derivimplicit
}

INITIAL { x = x0 }

DERIVATIVE dyn {
    x' = -r*x*x
}
