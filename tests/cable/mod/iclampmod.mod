TITLE A current clamp as a point process (a test model, same as the built-in IClamp)

NEURON {
    POINT_PROCESS IClampMod
    RANGE del, dur, amp, i
    ELECTRODE_CURRENT i
}

UNITS { (nA) = (nanoamp) }

PARAMETER {
    del (ms)
    dur (ms) <0, 1e9>
    amp (nA)
}

ASSIGNED { i (nA) }

INITIAL { i = 0 }

BREAKPOINT {
    if (t >= del && t < del + dur) {
        i = amp
    } else {
        i = 0
    }
}
