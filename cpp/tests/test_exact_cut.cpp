// The exact expected cut of the Gaussian rounding (cpp/exact_cut.cpp) against probabilities
// computed here from the rounding's definition, its gradient against finite differences, and
// its Adam ascent's bookkeeping.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "bvn.hpp"
#include "check.hpp"
#include "exact_cut.hpp"
#include "graphs.hpp"

using derand_test::TestGraph;

namespace {

constexpr double kPi = 3.14159265358979323846;

// P(x_i != x_j) for x = sgn(v . z + mu), z ~ N(0, I), from the definition: with g_i = v_i . z / |v_i|
// (standard normals of correlation rho), x_i = +1 iff g_i > -a_i, and
// P(x_i = x_j = +1) = int_{-a_i}^inf phi(t) P(g_j > -a_j | g_i = t) dt
//                   = int_{-a_i}^inf phi(t) Phi((a_j + rho t) / sqrt(1 - rho^2)) dt,
// integrated by composite 20-node Gauss-Legendre up to t = 12 (checked in test_bvn).
double prob_differ(double ai, double aj, double rho) {
    auto Phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
    const double lo = -ai, hi = 12.0, q = std::sqrt((1.0 - rho) * (1.0 + rho));
    double both = 0.0;
    if (lo < hi) {
        const auto& gl = derand::detail::gauss_legendre<20>();
        const int panels = static_cast<int>(std::ceil((hi - lo) / std::fmin(0.25, 0.5 * q)));
        const double width = (hi - lo) / panels;
        long double sum = 0.0L;
        for (int p = 0; p < panels; ++p)
            for (std::size_t i = 0; i < 20; ++i) {
                const double t = lo + (p + 0.5) * width + 0.5 * width * gl.x[i];
                sum += gl.w[i] * std::exp(-0.5 * t * t) * Phi((aj + rho * t) / q);
            }
        both = static_cast<double>(sum * 0.5L * width) / std::sqrt(2.0 * kPi);
    }
    // P(x_i = +1) + P(x_j = +1) - 2 P(both +1)
    return Phi(ai) + Phi(aj) - 2.0 * both;
}

std::vector<double> random_matrix(std::int64_t rows, std::int64_t cols, std::uint64_t seed, double scale = 1.0) {
    derand_test::Rng rng(seed);
    std::vector<double> V(static_cast<std::size_t>(rows * cols));
    for (double& v : V) v = scale * (rng.uniform() - 0.5);
    return V;
}

double norm_row(const std::vector<double>& V, std::int64_t i, std::int64_t r) {
    double s = 0.0;
    for (std::int64_t k = 0; k < r; ++k) s += V[i * r + k] * V[i * r + k];
    return std::sqrt(s);
}

void at_mu_zero_it_is_the_gw_expected_cut() {
    const TestGraph g = derand_test::random_graph(30, 0.3, false, 2);
    const std::int64_t r = 5;
    const auto V = random_matrix(g.n, r, 3);
    derand::ExactCut ec(g.edges(), V.data(), r, 1);
    double truth = 0.0;
    for (std::int64_t e = 0; e < g.m(); ++e) {
        double dot = 0.0;
        for (std::int64_t k = 0; k < r; ++k) dot += V[g.u[e] * r + k] * V[g.v[e] * r + k];
        truth += g.w[e] * std::acos(dot / (norm_row(V, g.u[e], r) * norm_row(V, g.v[e], r))) / kPi;
    }
    const std::vector<double> mu(static_cast<std::size_t>(g.n), 0.0);
    CHECK_NEAR(ec.evaluate(mu.data(), 1.0, true, nullptr, nullptr, 1), truth, 1e-12);
    CHECK_NEAR(ec.evaluate(mu.data(), 0.01, true, nullptr, nullptr, 1), truth, 1e-12);  // the scale drops out
}

void value_against_the_definition() {
    const TestGraph g = derand_test::random_graph(12, 0.5, false, 4);
    const std::int64_t r = 3;
    for (double s : {0.3, 1.0, 2.5}) {
        const auto V = random_matrix(g.n, r, 5);
        const auto mu = random_matrix(g.n, 1, 6, 1.5);
            derand::ExactCut ec(g.edges(), V.data(), r, 1);
        double truth = 0.0;
        for (std::int64_t e = 0; e < g.m(); ++e) {
            const std::int64_t i = g.u[e], j = g.v[e];
            double dot = 0.0;
            for (std::int64_t k = 0; k < r; ++k) dot += V[i * r + k] * V[j * r + k];
            const double ni = norm_row(V, i, r), nj = norm_row(V, j, r);
            truth += g.w[e] * prob_differ(mu[i] / (s * ni), mu[j] / (s * nj), dot / (ni * nj));
            CHECK_NEAR(ec.rho()[e], dot / (ni * nj), 1e-15);
        }
        CHECK_NEAR(ec.evaluate(mu.data(), s, true, nullptr, nullptr, 1), truth, 1e-12);
    }
}

void deterministic_nodes_and_rank_one() {
    // rank 1: rho = +-1 on every edge, x_i = sgn(v_i z + mu_i) with one scalar z
    const TestGraph g = derand_test::complete(4);
    const std::vector<double> V = {1.0, -2.0, 0.5, 0.0};  // node 3: v = 0, deterministic sgn(mu_3)
    const std::vector<double> mu = {0.3, 0.4, -0.2, -1.0};
    derand::ExactCut ec(g.edges(), V.data(), 1, 1);
    // x_i = +1 iff z > t_i (v_i > 0) or z < t_i (v_i < 0), t_i = -mu_i / v_i; x_3 = -1 always
    auto Phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
    const double t0 = -0.3, t1 = 0.2, t2 = 0.4;  // x0: z > -0.3; x1: z < 0.2; x2: z > 0.4
    const double p01 = Phi(t0) + (1.0 - Phi(t1));     // differ: z < -0.3 (x0 -, x1 +) or z > 0.2 (x0 +, x1 -)
    const double p02 = Phi(t2) - Phi(t0);             // differ: -0.3 < z < 0.4
    const double p12 = Phi(t1) + (1.0 - Phi(t2)) - 2.0 * 0.0;  // both + never (z < 0.2 and z > 0.4)
    const double p0x = 1.0 - Phi(t0), p1x = Phi(t1), p2x = 1.0 - Phi(t2);  // differ from x3 = -1: x_i = +1
    const double truth = p01 + p02 + p12 + p0x + p1x + p2x;
    CHECK_NEAR(ec.evaluate(mu.data(), 1.0, true, nullptr, nullptr, 1), truth, 1e-14);
    std::vector<double> grad(4);
    ec.evaluate(mu.data(), 1.0, false, grad.data(), nullptr, 1);
    CHECK(grad[3] == 0.0);  // a deterministic node has no mu-gradient
    CHECK(ec.norms()[3] == 0.0);
}

void gradient_against_finite_differences() {
    const TestGraph g = derand_test::random_graph(15, 0.4, false, 9);
    const std::int64_t r = 4;
    const auto V = random_matrix(g.n, r, 10);
    const auto mu = random_matrix(g.n, 1, 11, 0.8);
    derand::ExactCut ec(g.edges(), V.data(), r, 1);
    const double s = 0.7, h = 1e-6;
    std::vector<double> grad(static_cast<std::size_t>(g.n));
    double d_ds = 0.0;
    const double value = ec.evaluate(mu.data(), s, true, grad.data(), &d_ds, 1);
    CHECK(value == ec.evaluate(mu.data(), s, true, nullptr, nullptr, 1));
    for (std::int64_t i = 0; i < g.n; ++i) {
        auto mp = mu, mm = mu;
        mp[i] += h;
        mm[i] -= h;
        const double fd = (ec.evaluate(mp.data(), s, true, nullptr, nullptr, 1) -
                           ec.evaluate(mm.data(), s, true, nullptr, nullptr, 1)) / (2.0 * h);
        CHECK_NEAR(grad[i], fd, 1e-7);
    }
    const double fds = (ec.evaluate(mu.data(), s + h, true, nullptr, nullptr, 1) -
                        ec.evaluate(mu.data(), s - h, true, nullptr, nullptr, 1)) / (2.0 * h);
    CHECK_NEAR(d_ds, fds, 1e-7);
}

void results_do_not_depend_on_threads() {
    // past kParallelMinEdges (65536) the gradient pass is shared between threads
    const std::int64_t n = 4000, r = 6;
    derand_test::Rng rng(13);
    std::vector<std::int32_t> ei, ej;
    std::vector<double> w;
    while (static_cast<std::int64_t>(ei.size()) < 70000) {
        const auto i = static_cast<std::int32_t>(rng.below(n)), j = static_cast<std::int32_t>(rng.below(n));
        if (i == j) continue;
        ei.push_back(std::min(i, j));
        ej.push_back(std::max(i, j));
        w.push_back(0.5 + rng.uniform());
    }
    const derand::EdgeList edges{n, static_cast<std::int64_t>(w.size()), ei.data(), ej.data(), w.data()};
    const auto V = random_matrix(n, r, 14);
    const auto mu = random_matrix(n, 1, 15, 0.5);
    derand::ExactCut e1(edges, V.data(), r, 1);
    derand::ExactCut e2(edges, V.data(), r, 2);
    std::vector<double> g1(n), g2(n);
    double s1 = 0.0, s2 = 0.0;
    const double v1 = e1.evaluate(mu.data(), 0.9, true, g1.data(), &s1, 1);
    const double v2 = e2.evaluate(mu.data(), 0.9, true, g2.data(), &s2, 2);
    CHECK(v1 == v2 && s1 == s2 && g1 == g2);  // bitwise
    CHECK(e1.rho() == e2.rho());
}

void ascent_bookkeeping() {
    const TestGraph g = derand_test::random_graph(12, 0.5, true, 21);
    const double best = g.max_cut();
    const std::int64_t r = 4, runs = 3, k = 60;
    const auto V = random_matrix(g.n, r, 22);
    const derand::AdamParams adam{0.05, 0.9, 0.999, 1e-8};
    const std::vector<double> s(k, 0.8);
    auto ascend = [&](int threads, std::int64_t chunk) {
        derand::ExactCut ec(g.edges(), V.data(), r, threads);
        std::vector<double> mu = random_matrix(runs, g.n, 23, 0.2), m1(mu.size(), 0.0), m2(mu.size(), 0.0);
        std::vector<double> best_cut(runs, -std::numeric_limits<double>::infinity());
        std::vector<std::int8_t> best_x(mu.size(), 0);
        const derand::AscentState st{mu.data(), m1.data(), m2.data(), best_cut.data(), best_x.data(), runs};
        const double start = ec.evaluate(mu.data(), 0.8, true, nullptr, nullptr, 1);
        for (std::int64_t t0 = 0; t0 < k; t0 += chunk) ec.ascend(st, s.data() + t0, chunk, t0, adam, 5, threads);
        const double end = ec.evaluate(mu.data(), 0.8, true, nullptr, nullptr, 1);
        CHECK(end > start);  // run 0 climbed
        for (std::int64_t q = 0; q < runs; ++q) {
            CHECK(best_cut[q] == g.cut(best_x.data() + q * g.n));
            CHECK(best_cut[q] <= best);
            CHECK(best_cut[q] >= ec.sign_cut(mu.data() + q * g.n));  // the last step was checked (60 % 5 == 0)
        }
        return std::make_pair(mu, best_x);
    };
    const auto a = ascend(1, 60), b = ascend(2, 60), c = ascend(2, 15);
    CHECK(a.first == b.first && a.second == b.second);  // runs on threads: the same bits
    CHECK(a.first == c.first && a.second == c.second);  // and the same in chunks
}

void one_orthogonal_edge_is_cut_half_the_time() {
    const std::vector<double> V = {1.0, 0.0, 0.0, 1.0};
    const TestGraph g(2, {0}, {1}, {1.0});
    derand::ExactCut ec(g.edges(), V.data(), 2, 1);
    const std::vector<double> mu = {0.0, 0.0};
    CHECK_NEAR(ec.evaluate(mu.data(), 1.0, true, nullptr, nullptr, 1), 0.5, 1e-15);  // orthogonal: 1/2
}

}  // namespace

int main() {
    return derand_test::run({
        {"exact_cut.at_mu_zero_it_is_the_gw_expected_cut", at_mu_zero_it_is_the_gw_expected_cut},
        {"exact_cut.value_against_the_definition", value_against_the_definition},
        {"exact_cut.deterministic_nodes_and_rank_one", deterministic_nodes_and_rank_one},
        {"exact_cut.gradient_against_finite_differences", gradient_against_finite_differences},
        {"exact_cut.results_do_not_depend_on_threads", results_do_not_depend_on_threads},
        {"exact_cut.ascent_bookkeeping", ascent_bookkeeping},
        {"exact_cut.one_orthogonal_edge_is_cut_half_the_time", one_orthogonal_edge_is_cut_half_the_time},
    });
}
