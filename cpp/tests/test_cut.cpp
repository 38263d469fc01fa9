// Cut values, 1-flip local search (cpp/cut.cpp) and hyperplane rounding (cpp/rounding.cpp)
// against cuts counted edge by edge.
#include <cmath>
#include <vector>

#include "check.hpp"
#include "cut.hpp"
#include "graphs.hpp"
#include "rounding.hpp"

using derand_test::TestGraph;

namespace {

void cut_value_matches_edge_count() {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        const TestGraph g = derand_test::random_graph(30, 0.3, seed % 2 == 0, seed);
        const std::int64_t k = 17;
        std::vector<std::int8_t> X;
        for (std::int64_t r = 0; r < k; ++r) {
            const auto x = derand_test::random_signs(g.n, 100 * seed + r);
            X.insert(X.end(), x.begin(), x.end());
        }
        std::vector<double> out1(k), out2(k);
        derand::cut_values(g.edges(), X.data(), k, 1, out1.data());
        derand::cut_values(g.edges(), X.data(), k, 2, out2.data());
        for (std::int64_t r = 0; r < k; ++r) {
            CHECK_NEAR(derand::cut_value(g.edges(), X.data() + r * g.n), g.cut(X.data() + r * g.n), 1e-12);
            CHECK(out1[r] == derand::cut_value(g.edges(), X.data() + r * g.n));
            CHECK(out1[r] == out2[r]);  // bitwise, whatever the thread count
        }
    }
    const TestGraph c5 = derand_test::cycle(5);
    const std::vector<std::int8_t> alt = {1, -1, 1, -1, 1};
    CHECK(derand::cut_value(c5.edges(), alt.data()) == 4.0);
    CHECK(c5.max_cut() == 4.0);
}

// Cut increase if node i alone flips, from the definition.
double flip_gain(const TestGraph& g, std::vector<std::int8_t> x, std::int64_t i) {
    const double before = g.cut(x);
    x[i] = static_cast<std::int8_t>(-x[i]);
    return g.cut(x) - before;
}

void local_search_reaches_a_local_optimum() {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        const TestGraph g = derand_test::random_graph(40, 0.2, seed % 2 == 0, seed);
        auto x = derand_test::random_signs(g.n, seed);
        const double start = g.cut(x);
        const derand::LocalSearchResult res = derand::local_search(g.csr(), x.data(), 1 << 20, 1e-9);
        CHECK(res.converged);
        CHECK(g.cut(x) >= start);
        CHECK_NEAR(g.cut(x) - start, res.gain, 1e-9);
        for (std::int64_t i = 0; i < g.n; ++i) CHECK(flip_gain(g, x, i) <= 1e-9);  // no improving flip is left
        // the same start gives the same moves and the same partition
        auto y = derand_test::random_signs(g.n, seed);
        const derand::LocalSearchResult again = derand::local_search(g.csr(), y.data(), 1 << 20, 1e-9);
        CHECK(again.moves == res.moves && again.gain == res.gain && y == x);
    }
}

void local_search_stops_after_max_moves() {
    const TestGraph g = derand_test::random_graph(60, 0.2, true, 42);
    std::vector<std::int8_t> x(static_cast<std::size_t>(g.n), 1);  // cut 0: many improving flips
    const derand::LocalSearchResult res = derand::local_search(g.csr(), x.data(), 3, 0.0);
    CHECK(res.moves == 3);
    CHECK(!res.converged);
    CHECK(g.cut(x) == res.gain && res.gain > 0.0);
}

void gw_expected_cut_closed_form() {
    // 5-cycle on its optimal SDP embedding: consecutive vectors 4 pi / 5 apart, so the expected
    // hyperplane cut is 5 * (4 pi / 5) / pi = 4, the maximum cut
    const TestGraph c5 = derand_test::cycle(5);
    const double pi = 3.14159265358979323846;
    std::vector<double> V;
    for (int i = 0; i < 5; ++i) {
        V.push_back(std::cos(4.0 * pi * i / 5.0));
        V.push_back(std::sin(4.0 * pi * i / 5.0));
        V.push_back(0.0);
    }
    CHECK_NEAR(derand::gw_expected_cut(c5.edges(), V.data(), 3, 1), 4.0, 1e-12);
    // random factor on a random graph: sum_e w_e arccos(cos angle) / pi computed here
    const TestGraph g = derand_test::random_graph(25, 0.4, false, 7);
    const int r = 4;
    derand_test::Rng rng(9);
    std::vector<double> W(static_cast<std::size_t>(g.n) * r);
    for (double& w : W) w = rng.uniform() - 0.5;
    double truth = 0.0;
    for (std::int64_t e = 0; e < g.m(); ++e) {
        double dot = 0.0, nu = 0.0, nv = 0.0;
        for (int k = 0; k < r; ++k) {
            dot += W[g.u[e] * r + k] * W[g.v[e] * r + k];
            nu += W[g.u[e] * r + k] * W[g.u[e] * r + k];
            nv += W[g.v[e] * r + k] * W[g.v[e] * r + k];
        }
        truth += g.w[e] * std::acos(dot / std::sqrt(nu * nv)) / pi;
    }
    const double e1 = derand::gw_expected_cut(g.edges(), W.data(), r, 1);
    CHECK_NEAR(e1, truth, 1e-12);
    CHECK(e1 == derand::gw_expected_cut(g.edges(), W.data(), r, 2));
}

void hyperplane_cuts_match_their_partitions() {
    const TestGraph g = derand_test::random_graph(33, 0.3, false, 11);
    const int r = 5;
    const std::int64_t nz = 21;  // not a multiple of the block of 8
    derand_test::Rng rng(3);
    std::vector<double> V(static_cast<std::size_t>(g.n) * r), Z(static_cast<std::size_t>(nz) * r);
    for (double& v : V) v = rng.uniform() - 0.5;
    for (double& z : Z) z = rng.uniform() - 0.5;
    std::vector<double> c1(nz), c2(nz);
    derand::hyperplane_cuts(g.edges(), V.data(), r, Z.data(), nz, 1, c1.data());
    derand::hyperplane_cuts(g.edges(), V.data(), r, Z.data(), nz, 2, c2.data());
    std::vector<std::int8_t> x(static_cast<std::size_t>(g.n));
    for (std::int64_t h = 0; h < nz; ++h) {
        derand::hyperplane_partition(g.n, V.data(), r, Z.data() + h * r, x.data());
        for (std::int64_t i = 0; i < g.n; ++i) {
            double d = 0.0;
            for (int k = 0; k < r; ++k) d += V[i * r + k] * Z[h * r + k];
            if (std::fabs(d) > 1e-12) CHECK(x[i] == (d > 0.0 ? 1 : -1));
        }
        CHECK(c1[h] == g.cut(x));
        CHECK(c1[h] == c2[h]);
    }
}

}  // namespace

int main() {
    return derand_test::run({
        {"cut.cut_value_matches_edge_count", cut_value_matches_edge_count},
        {"cut.local_search_reaches_a_local_optimum", local_search_reaches_a_local_optimum},
        {"cut.local_search_stops_after_max_moves", local_search_stops_after_max_moves},
        {"rounding.gw_expected_cut_closed_form", gw_expected_cut_closed_form},
        {"rounding.hyperplane_cuts_match_their_partitions", hyperplane_cuts_match_their_partitions},
    });
}
