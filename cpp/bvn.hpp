// Standard normal and bivariate normal distribution functions, header-only.
//
// bvn_cdf(a, b, rho) = P(X <= a, Y <= b) for standard normals with
// correlation rho, following the method described by Drezner & Wesolowsky
// (1990) with the refinements of Genz (2004, "Numerical computation of
// rectangular bivariate and trivariate normal and t probabilities", Statistics
// and Computing 14:251-260):
//
//  * |rho| < 0.925: Plackett's identity
//        Phi2(a, b; rho) = Phi(a) Phi(b)
//            + 1/(2 pi) int_0^{asin rho} exp(-(a^2 + b^2 - 2ab sin t) / (2 cos^2 t)) dt
//    integrated by Gauss-Legendre with 6, 12 or 20 nodes (|rho| < 0.3, 0.75, 0.925).
//  * |rho| >= 0.925 (rho > 0; rho < 0 by Phi2(a,b;rho) = Phi(a) - Phi2(a,-b;-rho)):
//        Phi2(a, b; rho) = Phi(min(a, b))
//            - 1/(2 pi) int_0^{sqrt(1-rho^2)} exp(-(a-b)^2/(2x^2) - ab/(1+r)) / r dx,
//    r = sqrt(1 - x^2). The integrand's expansion exp(-(a-b)^2/(2x^2) - ab/2)
//    (1 + c x^2 + c d x^4), c = (4 - ab)/8, d = (12 - ab)/16, is integrated in
//    closed form and only the (smooth, small) remainder by 20-node Gauss-Legendre.
//
// Absolute error below 1e-14 in the tests for |rho| <= 1 - 1e-12 (and exact
// limits at rho = +-1). No Python dependency.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

namespace derand {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kInvSqrt2 = 0.70710678118654752440;
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;

// Standard normal CDF, accurate in both tails (erfc has small relative error).
inline double norm_cdf(double x) { return 0.5 * std::erfc(-x * kInvSqrt2); }

// Standard normal density. exp underflows to exactly 0 below -745.2: the branch returns the
// same 0 without exp's slow underflow path (2.5x slower per call in glibc).
inline double norm_pdf(double x) {
    const double h = 0.5 * x * x;
    return h > 746.0 ? 0.0 : kInvSqrt2Pi * std::exp(-h);
}

namespace detail {

// Gauss-Legendre nodes/weights on [-1, 1] with N nodes, computed once by
// Newton's method on the three-term Legendre recurrence (to machine precision).
template <std::size_t N>
struct GaussLegendre {
    std::array<double, N> x{}, w{};
    GaussLegendre() {
        for (std::size_t i = 0; i < N; ++i) {
            double z = std::cos(kPi * (static_cast<double>(i) + 0.75) / (static_cast<double>(N) + 0.5));
            double dp = 1.0;
            for (int it = 0; it < 100; ++it) {
                double p0 = 1.0, p1 = z;
                for (std::size_t k = 2; k <= N; ++k) {
                    const double p2 = ((2.0 * static_cast<double>(k) - 1.0) * z * p1 -
                                       (static_cast<double>(k) - 1.0) * p0) /
                                      static_cast<double>(k);
                    p0 = p1;
                    p1 = p2;
                }
                dp = static_cast<double>(N) * (z * p1 - p0) / (z * z - 1.0);
                const double dz = p1 / dp;
                z -= dz;
                if (std::fabs(dz) < 1e-16) break;
            }
            // recompute derivative at the converged node for the weight
            double p0 = 1.0, p1 = z;
            for (std::size_t k = 2; k <= N; ++k) {
                const double p2 =
                    ((2.0 * static_cast<double>(k) - 1.0) * z * p1 - (static_cast<double>(k) - 1.0) * p0) /
                    static_cast<double>(k);
                p0 = p1;
                p1 = p2;
            }
            dp = static_cast<double>(N) * (z * p1 - p0) / (z * z - 1.0);
            x[i] = z;
            w[i] = 2.0 / ((1.0 - z * z) * dp * dp);
        }
    }
};

template <std::size_t N>
inline const GaussLegendre<N>& gauss_legendre() {
    static const GaussLegendre<N> rule;  // thread-safe one-time initialisation (C++11)
    return rule;
}

// 1/(2 pi) int_0^{asin rho} exp(-(a^2 + b^2 - 2ab sin t)/(2 cos^2 t)) dt.
template <std::size_t N>
inline double plackett_integral(double a, double b, double rho) {
    const auto& gl = gauss_legendre<N>();
    const double hs = 0.5 * (a * a + b * b), ab = a * b, asr = std::asin(rho);
    double sum = 0.0;
    for (std::size_t i = 0; i < N; ++i) {
        const double sn = std::sin(0.5 * asr * (gl.x[i] + 1.0));
        sum += gl.w[i] * std::exp((sn * ab - hs) / (1.0 - sn * sn));
    }
    return sum * asr / (4.0 * kPi);
}

// 1/(2 pi) int_0^{sqrt(1-rho^2)} exp(-(a-b)^2/(2x^2) - ab/(1+r)) / r dx, rho in (0, 1].
inline double high_corr_integral(double a, double b, double rho) {
    const double as = (1.0 - rho) * (1.0 + rho);
    if (!(as > 0.0)) return 0.0;
    const double sa = std::sqrt(as);
    const double bs = (a - b) * (a - b), hk = a * b;
    const double c = (4.0 - hk) / 8.0, d = (12.0 - hk) / 16.0;
    // closed-form integral of exp(-bs/(2x^2) - hk/2) (1 + c x^2 + c d x^4) over [0, sa]
    double val = sa * std::exp(-0.5 * (bs / as + hk)) *
                 (1.0 - c * (bs - as) * (1.0 - d * bs / 5.0) / 3.0 + c * d * as * as / 5.0);
    if (hk > -160.0) {  // below, the term is < exp(-240) (|a - b| >= 2 sqrt(-hk))
        const double bb = std::sqrt(bs);
        val -= std::exp(-0.5 * hk) * std::sqrt(2.0 * kPi) * norm_cdf(-bb / sa) * bb *
               (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0);
    }
    // remainder by Gauss-Legendre on [0, sa]; both exponents are <= 0 here
    const auto& gl = gauss_legendre<20>();
    const double half = 0.5 * sa;
    double rem = 0.0;
    for (std::size_t i = 0; i < 20; ++i) {
        const double x = half * (gl.x[i] + 1.0);
        const double xs = x * x;
        const double rs = std::sqrt(1.0 - xs);
        const double e1 = std::exp(-0.5 * (bs / xs + hk));
        const double exact = std::exp(-0.5 * bs / xs - hk / (1.0 + rs)) / rs;
        rem += gl.w[i] * (exact - e1 * (1.0 + c * xs * (1.0 + d * xs)));
    }
    val += half * rem;
    return val / (2.0 * kPi);
}

}  // namespace detail

// Phi(a) - Phi(b) for a >= b, computed in the tail where it is accurate.
inline double norm_cdf_diff(double a, double b) {
    if (a <= b) return 0.0;
    if (b >= 0.0) return norm_cdf(-b) - norm_cdf(-a);
    return norm_cdf(a) - norm_cdf(b);
}

// Bivariate standard normal CDF P(X <= a, Y <= b), corr(X, Y) = rho in [-1, 1].
// a, b may be +-inf. NaN arguments give NaN.
inline double bvn_cdf(double a, double b, double rho) {
    if (std::isnan(a) || std::isnan(b) || std::isnan(rho)) return std::nan("");
    if (a == -INFINITY || b == -INFINITY) return 0.0;
    if (a == INFINITY) return norm_cdf(b);
    if (b == INFINITY) return norm_cdf(a);
    rho = std::clamp(rho, -1.0, 1.0);
    const double ar = std::fabs(rho);
    if (ar < 0.3) return norm_cdf(a) * norm_cdf(b) + detail::plackett_integral<6>(a, b, rho);
    if (ar < 0.75) return norm_cdf(a) * norm_cdf(b) + detail::plackett_integral<12>(a, b, rho);
    if (ar < 0.925) return norm_cdf(a) * norm_cdf(b) + detail::plackett_integral<20>(a, b, rho);
    if (rho > 0.0) {
        const double v = norm_cdf(std::min(a, b)) - detail::high_corr_integral(a, b, rho);
        return std::max(v, 0.0);
    }
    // rho < 0: Phi2(a, b; rho) = Phi(a) - Phi2(a, -b; -rho) = [Phi(a) - Phi(min(a, -b))] + I(a, -b, -rho)
    const double v = norm_cdf_diff(a, -b) + detail::high_corr_integral(a, -b, -rho);
    return std::max(v, 0.0);
}

// Bivariate standard normal density phi2(a, b; rho), |rho| < 1.
inline double bvn_pdf(double a, double b, double rho) {
    const double om = (1.0 - rho) * (1.0 + rho);
    return std::exp(-(a * a - 2.0 * rho * a * b + b * b) / (2.0 * om)) / (2.0 * kPi * std::sqrt(om));
}

}  // namespace derand
