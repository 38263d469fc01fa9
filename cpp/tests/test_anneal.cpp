// Simulated annealing (cpp/anneal.cpp): never below its start, the maximum cut on graphs small
// enough to enumerate, and a pure function of (graph, start, seed, calls).
#include <vector>

#include "anneal.hpp"
#include "check.hpp"
#include "graphs.hpp"

using derand_test::TestGraph;

namespace {

void finds_the_maximum_cut() {
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        const bool integer = seed % 2 == 0;
        const TestGraph g = derand_test::random_graph(14, 0.45, integer, seed);
        const double best = g.max_cut();
        const auto x0 = derand_test::random_signs(g.n, seed);
        derand::Annealer an(g.csr(), x0.data(), seed);
        CHECK(an.integral() == integer);
        CHECK_NEAR(an.start_cut(), g.cut(x0), 1e-12);
        an.schedule(0.1, 10.0, 500);
        CHECK(an.segment_left() == 500);
        CHECK(an.run(1000) == 500);  // a segment ends where it was scheduled to
        CHECK(an.segment_left() == 0 && an.sweeps() == 500);
        CHECK(an.best_cut() >= an.start_cut());
        CHECK_NEAR(g.cut(an.best_x()), an.best_cut(), integer ? 0.0 : 1e-9);
        CHECK_NEAR(g.cut(an.x()), an.current_cut(), integer ? 0.0 : 1e-9);
        CHECK_NEAR(an.best_cut(), best, integer ? 0.0 : 1e-9);
        an.restore_best();
        CHECK(an.x() == an.best_x());
    }
}

void never_below_the_start() {
    // a hot schedule wanders off the good start; the best seen (the start) is kept
    const TestGraph g = derand_test::random_graph(30, 0.3, true, 4);
    std::vector<std::int8_t> x0 = derand_test::random_signs(g.n, 4);
    {
        derand::Annealer cold(g.csr(), x0.data(), 0);
        cold.descend(1000, 0.0);  // a 1-flip local optimum as the start
        x0 = cold.x();
        for (std::int64_t i = 0; i < g.n; ++i) {
            std::vector<std::int8_t> y = x0;
            y[i] = static_cast<std::int8_t>(-y[i]);
            CHECK(g.cut(y) <= g.cut(x0));
        }
    }
    derand::Annealer an(g.csr(), x0.data(), 9);
    an.schedule(1e-3, 1e-3, 50);
    an.run(50);
    CHECK(an.best_cut() >= g.cut(x0));
    CHECK(g.cut(an.best_x()) == an.best_cut());
}

void deterministic_and_chunking_invariant() {
    for (bool integer : {true, false}) {
        const TestGraph g = derand_test::random_graph(60, 0.1, integer, 31);
        const auto x0 = derand_test::random_signs(g.n, 2);
        derand::Annealer a(g.csr(), x0.data(), 555), b(g.csr(), x0.data(), 555), c(g.csr(), x0.data(), 555);
        for (derand::Annealer* an : {&a, &b, &c}) an->schedule(0.05, 3.0, 300);
        a.run(300);
        b.run(300);
        for (std::int64_t k : {1, 0, 50, 149, 100}) c.run(k);
        for (derand::Annealer* an : {&a, &b, &c}) {  // a second segment from the current state
            an->schedule(1.0, 4.0, 40);
            an->run(40);
        }
        for (const derand::Annealer* t : {&b, &c}) {
            CHECK(t->x() == a.x());
            CHECK(t->best_x() == a.best_x());
            CHECK(t->best_cut() == a.best_cut());  // bitwise
            CHECK(t->current_cut() == a.current_cut());
            CHECK(t->flips() == a.flips() && t->sweeps() == a.sweeps() && t->best_sweep() == a.best_sweep());
        }
        CHECK(a.sweeps() == 340);
    }
}

}  // namespace

int main() {
    return derand_test::run({
        {"anneal.finds_the_maximum_cut", finds_the_maximum_cut},
        {"anneal.never_below_the_start", never_below_the_start},
        {"anneal.deterministic_and_chunking_invariant", deterministic_and_chunking_invariant},
    });
}
