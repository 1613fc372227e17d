TITLE Calcium with a mobile-free buffer B in a shell, as a KINETIC scheme (a test model)

COMMENT
Calcium enters a shell of relative volume vshell at a rate that rises with v (a smooth
stand-in for a calcium current), is pumped back to cainf with time constant taur, and
binds a buffer B (in a compartment of relative volume vbuf) with mass action. The buffer
total B + CaB = Btot is conserved; as NEURON multiplies each state of a CONSERVE by its
COMPARTMENT volume, the statement reads vbuf (B + CaB) = Btot vbuf. Written for the tests of rxdkit's NMODL loader; the species
are the mechanism's own states (it does not write the ca ion).
ENDCOMMENT

NEURON {
    SUFFIX cabuf
    RANGE jmax, kon, koff, Btot, taur, cainf, vshell, vbuf
}

UNITS {
    (mM) = (milli/liter)
    (mV) = (millivolt)
}

PARAMETER {
    jmax = 2e-4 (mM/ms)
    kon = 100 (/mM-ms)
    koff = 0.1 (/ms)
    Btot = 0.05 (mM)
    taur = 20 (ms)
    cainf = 5e-5 (mM)
    vshell = 0.5 (1)
    vbuf = 2 (1)
}

STATE { ca (mM) B (mM) CaB (mM) }

ASSIGNED { v (mV) jin (mM/ms) }

BREAKPOINT {
    SOLVE buffering METHOD sparse
}

INITIAL {
    ca = cainf
    CaB = Btot*kon*cainf/(kon*cainf + koff)
    B = Btot - CaB
}

KINETIC buffering {
    COMPARTMENT vshell {ca}
    COMPARTMENT vbuf {B CaB}
    jin = jmax/(1 + exp(-(v + 20)/4))
    ~ ca << (vshell*(jin - (ca - cainf)/taur))
    ~ ca + B <-> CaB (kon*vbuf, koff*vbuf)
    CONSERVE B + CaB = Btot*vbuf   : NEURON weighs each state by its COMPARTMENT volume
}
