// Standard and bivariate normal CDFs (cpp/bvn.hpp) against closed forms and an
// independent numerical integral.
#include <cmath>
#include <limits>

#include "bvn.hpp"
#include "check.hpp"

namespace {

constexpr double kPi = 3.14159265358979323846;

long double Phi(long double x) { return 0.5L * std::erfc(-x / std::sqrt(2.0L)); }

// Phi2(a, b; rho) = int_{-inf}^a phi(x) Phi((b - rho x) / sqrt(1 - rho^2)) dx, |rho| < 1: a different
// formula from bvn.hpp's Plackett / Genz forms, integrated on [-12, a] (phi(-12) ~ 1e-32) by composite
// 20-node Gauss-Legendre (the rule is checked on its own above) on panels no wider than
// sqrt(1 - rho^2) / 2, the width of the integrand's steep part.
double bvn_by_integral(double a, double b, double rho) {
    const double lo = -12.0, s = std::sqrt((1.0 - rho) * (1.0 + rho));
    if (a <= lo) return 0.0;
    const auto& gl = derand::detail::gauss_legendre<20>();
    const int panels = static_cast<int>(std::ceil((a - lo) / std::fmin(0.25, 0.5 * s)));
    const double width = (a - lo) / panels;
    long double sum = 0.0L;
    for (int p = 0; p < panels; ++p) {
        const double mid = lo + (p + 0.5) * width;
        for (std::size_t i = 0; i < 20; ++i) {
            const double x = mid + 0.5 * width * gl.x[i];
            sum += gl.w[i] * std::exp(-0.5 * x * x) * static_cast<double>(Phi((b - rho * x) / s));
        }
    }
    return static_cast<double>(sum * 0.5L * width / std::sqrt(2.0L * 3.14159265358979323846264L));
}

void norm_cdf_and_pdf() {
    CHECK(derand::norm_cdf(0.0) == 0.5);
    CHECK_NEAR(derand::norm_cdf(1.959963984540054), 0.975, 1e-15);
    CHECK_NEAR(derand::norm_cdf(-1.0), 0.15865525393145705, 1e-16);  // Abramowitz & Stegun table 26.1
    // the lower tail keeps relative accuracy: Phi(-10) = 7.6198530241605260e-24
    CHECK_NEAR(derand::norm_cdf(-10.0) / 7.6198530241605260e-24, 1.0, 1e-13);
    for (double x = -6.0; x <= 6.0; x += 0.37) CHECK_NEAR(derand::norm_cdf(x) + derand::norm_cdf(-x), 1.0, 2e-16);
    CHECK_NEAR(derand::norm_pdf(0.0), 1.0 / std::sqrt(2.0 * kPi), 1e-17);
    CHECK_NEAR(derand::norm_pdf(1.5), std::exp(-1.125) / std::sqrt(2.0 * kPi), 1e-17);
    CHECK(derand::norm_pdf(40.0) == 0.0 && derand::norm_pdf(-40.0) == 0.0);
    CHECK(derand::norm_cdf_diff(1.0, 2.0) == 0.0);
    CHECK_NEAR(derand::norm_cdf_diff(9.0, 8.5), static_cast<double>(Phi(-8.5L) - Phi(-9.0L)), 1e-28);
}

void gauss_legendre_exact_on_polynomials() {
    // an N-node rule integrates x^k over [-1, 1] exactly for k <= 2N - 1
    const auto& g6 = derand::detail::gauss_legendre<6>();
    const auto& g20 = derand::detail::gauss_legendre<20>();
    for (int k = 0; k <= 11; ++k) {
        double s = 0.0;
        for (std::size_t i = 0; i < 6; ++i) s += g6.w[i] * std::pow(g6.x[i], k);
        CHECK_NEAR(s, k % 2 ? 0.0 : 2.0 / (k + 1), 1e-15);
    }
    for (int k = 0; k <= 39; ++k) {
        double s = 0.0;
        for (std::size_t i = 0; i < 20; ++i) s += g20.w[i] * std::pow(g20.x[i], k);
        CHECK_NEAR(s, k % 2 ? 0.0 : 2.0 / (k + 1), 1e-14);
    }
}

void closed_forms() {
    const double pts[] = {-3.0, -1.2, -0.4, 0.0, 0.3, 1.1, 2.5};
    for (double a : pts)
        for (double b : pts) {
            const double pa = derand::norm_cdf(a), pb = derand::norm_cdf(b);
            CHECK_NEAR(derand::bvn_cdf(a, b, 0.0), pa * pb, 1e-16);                      // independence
            CHECK_NEAR(derand::bvn_cdf(a, b, 1.0), derand::norm_cdf(std::fmin(a, b)), 1e-16);  // X = Y
            CHECK_NEAR(derand::bvn_cdf(a, b, -1.0), std::fmax(0.0, pa + pb - 1.0), 1e-15);     // X = -Y
            for (double rho : {-0.97, -0.6, -0.1, 0.2, 0.5, 0.8, 0.95}) {
                const double v = derand::bvn_cdf(a, b, rho);
                CHECK_NEAR(v, derand::bvn_cdf(b, a, rho), 1e-15);           // symmetric in (a, b)
                CHECK_NEAR(v + derand::bvn_cdf(a, -b, -rho), pa, 1e-15);    // P(X<=a, Y<=b) + P(X<=a, Y>b)
                CHECK(v >= 0.0 && v <= std::fmin(pa, pb) + 1e-16);
            }
        }
    // Sheppard: Phi2(0, 0; rho) = 1/4 + asin(rho) / (2 pi)
    for (double rho = -1.0; rho <= 1.0; rho += 0.0625)
        CHECK_NEAR(derand::bvn_cdf(0.0, 0.0, rho), 0.25 + std::asin(rho) / (2.0 * kPi), 1e-15);
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(derand::bvn_cdf(-inf, 0.3, 0.5) == 0.0);
    CHECK(derand::bvn_cdf(inf, 0.3, 0.5) == derand::norm_cdf(0.3));
    CHECK(derand::bvn_cdf(0.3, inf, -0.5) == derand::norm_cdf(0.3));
    CHECK(std::isnan(derand::bvn_cdf(std::nan(""), 0.0, 0.5)));
    CHECK(std::isnan(derand::bvn_cdf(0.0, 0.0, std::nan(""))));
}

void against_numerical_integral() {
    // every branch: Plackett with 6 / 12 / 20 nodes (|rho| < 0.3 / 0.75 / 0.925) and Genz's high-correlation
    // form on both signs of rho, including both sides of each switch point
    const double rhos[] = {-0.9999, -0.99, -0.93, -0.92, -0.8, -0.5, -0.29, 0.1, 0.299, 0.301,
                           0.6,     0.749, 0.751, 0.9,   0.924, 0.926, 0.97, 0.995, 0.9999};
    const double pts[] = {-2.7, -1.0, -0.25, 0.0, 0.6, 1.9};
    double worst = 0.0;
    for (double rho : rhos)
        for (double a : pts)
            for (double b : pts) {
                const double err = std::fabs(derand::bvn_cdf(a, b, rho) - bvn_by_integral(a, b, rho));
                worst = std::fmax(worst, err);
                CHECK_NEAR(derand::bvn_cdf(a, b, rho), bvn_by_integral(a, b, rho), 1e-14);  // bvn.hpp: < 1e-14
            }
    std::printf("  max |bvn_cdf - integral| = %.2e\n", worst);
}

void density_is_mixed_derivative() {
    // phi2 = d^2 Phi2 / (da db), by a central difference (error O(h^2))
    const double h = 1e-3;
    for (double rho : {-0.7, 0.0, 0.4, 0.9})
        for (double a : {-1.0, 0.2, 1.3})
            for (double b : {-0.5, 0.8}) {
                const double d = (derand::bvn_cdf(a + h, b + h, rho) - derand::bvn_cdf(a + h, b - h, rho) -
                                  derand::bvn_cdf(a - h, b + h, rho) + derand::bvn_cdf(a - h, b - h, rho)) /
                                 (4.0 * h * h);
                CHECK_NEAR(derand::bvn_pdf(a, b, rho), d, 2e-6);
            }
}

}  // namespace

int main() {
    return derand_test::run({
        {"bvn.norm_cdf_and_pdf", norm_cdf_and_pdf},
        {"bvn.gauss_legendre_exact_on_polynomials", gauss_legendre_exact_on_polynomials},
        {"bvn.closed_forms", closed_forms},
        {"bvn.against_numerical_integral", against_numerical_integral},
        {"bvn.density_is_mixed_derivative", density_is_mixed_derivative},
    });
}
