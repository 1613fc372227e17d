TITLE na3: sodium channel with fast and slow inactivation

COMMENT
Written for rxdkit's NMODL loader from the mathematical description of the channels of
ModelDB 168874 (shared/models/modeldb168874.md, section 8), as used in

  Neymotin SA, McDougal RA, Sherif MA, Fall CP, Hines ML, Lytton WW (2015). Neuronal
  calcium wave propagation varies with changes in endoplasmic reticulum parameters: a
  computer model. Neural Computation 27(4):898-924.

The channel was adapted by M. Migliore (1997, 2002) from a sodium channel model by
J. Magee; the original file names no paper. ina = gbar m^3 h s (v - ena). The slow
inactivation s relaxes to c + ar (1 - c): with ar = 1 it stays at 1.
ENDCOMMENT

NEURON {
    SUFFIX na3
    USEION na READ ena WRITE ina
    RANGE gbar, ar, sh
    GLOBAL minf, hinf, mtau, htau, sinf, taus, qinf, thinf, tha, qa, Ra, Rb, thi1, thi2, qd, qg, Rd, Rg, mmin, hmin, q10, vhalfs, a0s, zetas, gms, smax, vvh, vvs
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    sh = 6 (mV)
    gbar = 0.010 (mho/cm2)
    tha = -30 (mV)
    qa = 7.2 (mV)
    Ra = 0.4 (/ms)
    Rb = 0.124 (/ms)
    thi1 = -45 (mV)
    thi2 = -45 (mV)
    qd = 1.5 (mV)
    qg = 1.5 (mV)
    mmin = 0.02 (ms)
    hmin = 0.5 (ms)
    q10 = 2
    Rg = 0.01 (/ms)
    Rd = 0.03 (/ms)
    qq = 10 (mV)
    tq = -55 (mV)
    thinf = -50 (mV)
    qinf = 4 (mV)
    vhalfs = -60 (mV)
    a0s = 0.0003 (/ms)
    zetas = 12 (1)
    gms = 0.2 (1)
    smax = 10 (ms)
    vvh = -58 (mV)
    vvs = 2 (mV)
    ar = 1 (1)
    celsius (degC)
    v (mV)
}

STATE { m h s }

ASSIGNED {
    ina (mA/cm2)
    ena (mV)
    minf
    hinf
    mtau (ms)
    htau (ms)
    sinf
    taus (ms)
}

BREAKPOINT {
    SOLVE gates METHOD cnexp
    ina = gbar*m*m*m*h*s*(v - ena)
}

INITIAL {
    rates(v, ar, sh)
    m = minf
    h = hinf
    s = sinf
}

DERIVATIVE gates {
    rates(v, ar, sh)
    m' = (minf - m)/mtau
    h' = (hinf - h)/htau
    s' = (sinf - s)/taus
}

FUNCTION linoid(v (mV), th (mV), a (/ms), q (mV)) (/ms) {
    : a (v - th)/(1 - exp(-(v - th)/q)), with its limit a q at v = th
    if (fabs(v - th) > 1e-6) {
        linoid = a*(v - th)/(1 - exp(-(v - th)/q))
    } else {
        linoid = a*q
    }
}

FUNCTION efold(celsius (degC)) (/mV) {
    efold = 1e-3*9.648e4/(8.315*(273.16 + celsius))
}

PROCEDURE rates(vm (mV), a2, sh2 (mV)) {
    LOCAL a, b, c, qt, k
    qt = q10^((celsius - 24)/10)
    k = efold(celsius)
    a = linoid(vm, tha + sh2, Ra, qa)
    b = linoid(-vm, -tha - sh2, Rb, qa)
    mtau = 1/(a + b)/qt
    if (mtau < mmin) {
        mtau = mmin
    }
    minf = a/(a + b)
    a = linoid(vm, thi1 + sh2, Rd, qd)
    b = linoid(-vm, -thi2 - sh2, Rg, qg)
    htau = 1/(a + b)/qt
    if (htau < hmin) {
        htau = hmin
    }
    hinf = 1/(1 + exp((vm - thinf - sh2)/qinf))
    c = 1/(1 + exp((vm - vvh - sh2)/vvs))
    sinf = c + a2*(1 - c)
    taus = exp(zetas*gms*(vm - vhalfs - sh2)*k)/(a0s*(1 + exp(zetas*(vm - vhalfs - sh2)*k)))
    if (taus < smax) {
        taus = smax
    }
}
