// The mixing-method SDP sweeps (cpp/sdp.cpp) against the known MAXCUT SDP values of small graphs.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "check.hpp"
#include "graphs.hpp"
#include "sdp.hpp"

using derand_test::TestGraph;

namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<double> random_unit_rows(std::int64_t n, int r, std::uint64_t seed) {
    derand_test::Rng rng(seed);
    std::vector<double> V(static_cast<std::size_t>(n) * r);
    for (std::int64_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (int k = 0; k < r; ++k) {
            V[i * r + k] = rng.uniform() - 0.5;
            s += V[i * r + k] * V[i * r + k];
        }
        for (int k = 0; k < r; ++k) V[i * r + k] /= std::sqrt(s);
    }
    return V;
}

// sum_{edges} w (1 - v_i . v_j) / 2, edge by edge.
double sdp_value(const TestGraph& g, const std::vector<double>& V, int r) {
    double s = 0.0;
    for (std::int64_t e = 0; e < g.m(); ++e) {
        double dot = 0.0;
        for (int k = 0; k < r; ++k) dot += V[g.u[e] * r + k] * V[g.v[e] * r + k];
        s += g.w[e] * (1.0 - dot) / 2.0;
    }
    return s;
}

double solve(const TestGraph& g, int r, std::uint64_t seed, int threads = 1) {
    const derand::Coloring col = derand::greedy_coloring(g.csr());
    std::vector<double> V = random_unit_rows(g.n, r, seed), slots(static_cast<std::size_t>(g.n));
    const derand::SweepStats st = derand::mixing_sweeps(g.csr(), V.data(), r, col, 100000, 1e-13,
                                                        std::numeric_limits<double>::infinity(), threads,
                                                        slots.data());
    CHECK(st.converged);
    for (std::int64_t i = 0; i < g.n; ++i) {
        double s = 0.0;
        for (int k = 0; k < r; ++k) s += V[i * r + k] * V[i * r + k];
        CHECK_NEAR(s, 1.0, 1e-14);  // unit rows
    }
    const double value = derand::sdp_objective(g.csr(), V.data(), r, threads);
    CHECK_NEAR(value, sdp_value(g, V, r), 1e-12);
    return value;
}

void greedy_coloring_is_proper() {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const TestGraph g = derand_test::random_graph(60, 0.15, false, seed);
        const derand::Coloring col = derand::greedy_coloring(g.csr());
        const std::size_t nc = col.class_ptr.size() - 1;
        CHECK(col.class_ptr.front() == 0 && col.class_ptr.back() == g.n);
        std::vector<std::int64_t> color(static_cast<std::size_t>(g.n), -1);
        for (std::size_t c = 0; c < nc; ++c) {
            std::int64_t work = 0;
            for (std::int64_t p = col.class_ptr[c]; p < col.class_ptr[c + 1]; ++p) {
                const std::int32_t i = col.order[p];
                CHECK(color[i] == -1);  // every node once
                color[i] = static_cast<std::int64_t>(c);
                work += g.indptr[i + 1] - g.indptr[i] + 2;
            }
            CHECK(col.class_work[c] == work);
        }
        for (std::int64_t e = 0; e < g.m(); ++e) CHECK(color[g.u[e]] != color[g.v[e]]);
    }
}

void mixing_update_increases_the_objective_by_its_return() {
    const TestGraph g = derand_test::random_graph(30, 0.3, false, 12);
    const int r = 4;
    std::vector<double> V = random_unit_rows(g.n, r, 5), buf(r);
    for (std::int64_t i = 0; i < g.n; ++i) {
        const double before = sdp_value(g, V, r);
        const double inc = derand::mixing_update(g.csr(), V.data(), r, i, buf.data());
        CHECK(inc >= 0.0);
        CHECK_NEAR(sdp_value(g, V, r) - before, inc, 1e-12);
    }
}

void known_sdp_values() {
    // triangle: three vectors 120 degrees apart, 3 (1 + 1/2) / 2 = 9/4 (max cut 2)
    CHECK_NEAR(solve(derand_test::cycle(3), 3, 1), 2.25, 1e-9);
    // 5-cycle: consecutive vectors 4 pi / 5 apart, 5 (1 + cos(pi/5)) / 2 = 5 cos^2(pi/10)
    // = (25 + 5 sqrt 5) / 8 = 4.5225... (Goemans & Williamson 1995; max cut 4)
    const double c5 = 5.0 * std::cos(kPi / 10.0) * std::cos(kPi / 10.0);
    CHECK_NEAR(c5, (25.0 + 5.0 * std::sqrt(5.0)) / 8.0, 1e-14);
    for (std::uint64_t seed = 1; seed <= 3; ++seed) CHECK_NEAR(solve(derand_test::cycle(5), 3, seed), c5, 1e-9);
    // complete graphs: unit vectors summing to 0, (C(n,2) + n/2) / 2 = n^2 / 4
    CHECK_NEAR(solve(derand_test::complete(5), 4, 2), 6.25, 1e-9);
    CHECK_NEAR(solve(derand_test::complete(6), 4, 3), 9.0, 1e-9);
    // even cycle: bipartite, the SDP is tight (value = m)
    CHECK_NEAR(solve(derand_test::cycle(8), 3, 4), 8.0, 1e-9);
}

void relaxation_bounds_the_maximum_cut() {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        // nonnegative weights; rank 6 >= sqrt(2 n): no spurious local optima (Burer-Monteiro)
        TestGraph g = derand_test::random_graph(14, 0.4, false, seed);
        for (double& w : g.w) w = std::fabs(w);
        g = TestGraph(g.n, g.u, g.v, g.w);
        const double sdp = solve(g, 6, seed);
        const double mc = g.max_cut();
        CHECK(sdp >= mc - 1e-9);
        CHECK(mc >= 0.878 * sdp);  // Goemans-Williamson: alpha = 0.87856...
    }
}

void sweeps_do_not_depend_on_threads() {
    // large enough that colour classes pass kParallelWork and run in parallel
    const std::int64_t n = 20000;
    derand_test::Rng rng(17);
    std::vector<std::int32_t> a, b;
    for (std::int32_t i = 0; i < n; ++i)
        for (int d = 0; d < 2; ++d) {
            const auto j = static_cast<std::int32_t>(rng.below(n));
            if (j == i) continue;
            a.push_back(i);
            b.push_back(j);
        }
    std::vector<double> w(a.size(), 1.0);
    const TestGraph g(n, a, b, w);  // duplicate edges are parallel edges: fine for the kernels
    const int r = 32;
    const derand::Coloring col = derand::greedy_coloring(g.csr());
    std::int64_t biggest = 0;
    for (std::int64_t cw : col.class_work) biggest = std::max(biggest, cw * r);
    CHECK(biggest >= derand::kParallelWork);
    std::vector<double> V1 = random_unit_rows(n, r, 8), V2 = V1, s1(n), s2(n);
    const derand::SweepStats st1 = derand::mixing_sweeps(g.csr(), V1.data(), r, col, 3, 0.0, 1e9, 1, s1.data());
    const derand::SweepStats st2 = derand::mixing_sweeps(g.csr(), V2.data(), r, col, 3, 0.0, 1e9, 2, s2.data());
    CHECK(st1.sweeps == 3 && st2.sweeps == 3 && !st1.converged);
    CHECK(V1 == V2);  // bitwise
    CHECK(st1.last_delta == st2.last_delta);
    CHECK(derand::sdp_objective(g.csr(), V1.data(), r, 1) == derand::sdp_objective(g.csr(), V1.data(), r, 2));
    // a time budget of 0 stops after one sweep
    const derand::SweepStats st0 = derand::mixing_sweeps(g.csr(), V1.data(), r, col, 10, 0.0, 0.0, 2, s1.data());
    CHECK(st0.sweeps == 1);
}

}  // namespace

int main() {
    return derand_test::run({
        {"sdp.greedy_coloring_is_proper", greedy_coloring_is_proper},
        {"sdp.mixing_update_increases_the_objective_by_its_return", mixing_update_increases_the_objective_by_its_return},
        {"sdp.known_sdp_values", known_sdp_values},
        {"sdp.relaxation_bounds_the_maximum_cut", relaxation_bounds_the_maximum_cut},
        {"sdp.sweeps_do_not_depend_on_threads", sweeps_do_not_depend_on_threads},
    });
}
