// Smoothed indicators of the derandomization framework (paper App. F.1, G.3,
// §4.2), header-only so every C++ kernel can inline them. Each returns the
// value and writes the first and second derivative. The Numba twins live in
// derand_fast/indicators.py and are tested to agree with these.
#pragma once

#include <cmath>

namespace derand {

struct D2 {
    double f, df, d2f;
};

// MAXCUT step S_eps (App. F.1): 0 below eps/2, 1 from eps on, two quadratic
// pieces meeting at 3eps/4 with value 1/2. C^1; the second derivative is
// piecewise constant (+-16/eps^2).
inline D2 step_eps(double x, double eps) {
    const double h = 0.5 * eps, q = 0.75 * eps, c = 8.0 / (eps * eps);
    if (x < h) return {0.0, 0.0, 0.0};
    if (x <= q) {
        const double t = x - h;
        return {c * t * t, 2.0 * c * t, 2.0 * c};
    }
    if (x < eps) {
        const double t = x - eps;
        return {1.0 - c * t * t, -2.0 * c * t, -2.0 * c};
    }
    return {1.0, 0.0, 0.0};
}

// JL violation indicator (App. G.3) as a function of t = |u| - 1 ... taken on
// u = ||Ax||^2 - 1: 0 while |u| <= eps, 1 from |u| >= eps + eps1, two cubic
// pieces between. The paper prints the cubic coefficient as 2/eps^3; the
// pieces only meet (value 1/2 at the midpoint) with 4/eps1^3, used here.
inline D2 jl_indicator(double u, double eps, double eps1) {
    const double a = std::fabs(u);
    const double s = (u < 0.0) ? -1.0 : 1.0;
    const double c = 4.0 / (eps1 * eps1 * eps1);
    if (a <= eps) return {0.0, 0.0, 0.0};
    if (a <= eps + 0.5 * eps1) {
        const double t = a - eps;
        return {c * t * t * t, s * 3.0 * c * t * t, 6.0 * c * t};
    }
    if (a < eps + eps1) {
        const double t = eps + eps1 - a;
        return {1.0 - c * t * t * t, s * 3.0 * c * t * t, -6.0 * c * t};
    }
    return {1.0, 0.0, 0.0};
}

// ReLU_iota(x) = log(1 + exp(iota x)) / iota (§4.2), overflow-safe.
inline D2 relu_iota(double x, double iota) {
    const double y = iota * x;
    // softplus(y) = max(y, 0) + log1p(exp(-|y|)); sigmoid without overflow.
    const double f = (std::fmax(y, 0.0) + std::log1p(std::exp(-std::fabs(y)))) / iota;
    const double e = std::exp(-std::fabs(y));
    const double sig = (y >= 0.0) ? 1.0 / (1.0 + e) : e / (1.0 + e);
    return {f, sig, iota * sig * (1.0 - sig)};
}

}  // namespace derand
