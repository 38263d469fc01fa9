// Tabu search (cpp/tabu.cpp): never below its start, the maximum cut on graphs small enough to
// enumerate, and a pure function of (graph, start, options, total moves).
#include <vector>

#include "check.hpp"
#include "graphs.hpp"
#include "tabu.hpp"

using derand_test::TestGraph;

namespace {

derand::TabuOptions options(std::uint64_t seed) {
    derand::TabuOptions o;
    o.tenure_min = 1;
    o.tenure_max = 4;
    o.stall = 200;
    o.perturb = 3;
    o.seed = seed;
    return o;
}

void finds_the_maximum_cut() {
    // integer weights (bucket queues) and real weights (tournament trees), negative weights included
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        const bool integer = seed % 2 == 0;
        const TestGraph g = derand_test::random_graph(14, 0.45, integer, seed);
        const double best = g.max_cut();
        const auto x0 = derand_test::random_signs(g.n, seed);
        derand::TabuSearch ts(g.csr(), x0.data(), options(seed));
        CHECK_NEAR(ts.start_cut(), g.cut(x0), 1e-12);
        ts.run(5000);
        CHECK(ts.moves() == 5000);
        CHECK(ts.best_cut() >= ts.start_cut());
        CHECK_NEAR(g.cut(ts.best_x()), ts.best_cut(), integer ? 0.0 : 1e-9);
        CHECK_NEAR(ts.best_cut(), best, integer ? 0.0 : 1e-9);
        CHECK(ts.best_move() <= ts.moves());
    }
    // the 5-cycle and K_6: maximum cuts 4 and 9
    for (const TestGraph& g : {derand_test::cycle(5), derand_test::complete(6)}) {
        const std::vector<std::int8_t> ones(static_cast<std::size_t>(g.n), 1);
        derand::TabuSearch ts(g.csr(), ones.data(), options(0));
        ts.run(200);
        CHECK(ts.start_cut() == 0.0);
        CHECK(ts.best_cut() == (g.n == 5 ? 4.0 : 9.0));
    }
}

void restarts_keep_the_best() {
    const TestGraph g = derand_test::random_graph(40, 0.2, true, 5);
    const auto x0 = derand_test::random_signs(g.n, 5);
    derand::TabuOptions o = options(8);
    o.stall = 30;
    o.perturb = 5;
    derand::TabuSearch ts(g.csr(), x0.data(), o);
    double prev = ts.best_cut();
    for (int chunk = 0; chunk < 40; ++chunk) {
        ts.run(100);
        CHECK(ts.best_cut() >= prev);  // the best cut never decreases
        CHECK(g.cut(ts.best_x()) == ts.best_cut());
        CHECK(g.cut(ts.best_x()) >= ts.current_cut());
        prev = ts.best_cut();
    }
    CHECK(ts.restarts() > 0);
}

void deterministic_and_chunking_invariant() {
    for (bool integer : {true, false}) {
        const TestGraph g = derand_test::random_graph(50, 0.15, integer, 77);
        const auto x0 = derand_test::random_signs(g.n, 3);
        derand::TabuSearch a(g.csr(), x0.data(), options(123));
        derand::TabuSearch b(g.csr(), x0.data(), options(123));
        derand::TabuSearch c(g.csr(), x0.data(), options(123));
        a.run(3000);
        b.run(3000);
        for (std::int64_t k : {1, 2, 997, 1000, 0, 1000}) c.run(k);
        for (const derand::TabuSearch* t : {&b, &c}) {
            CHECK(t->moves() == a.moves());
            CHECK(t->best_x() == a.best_x());
            CHECK(t->best_cut() == a.best_cut());  // bitwise
            CHECK(t->current_cut() == a.current_cut());
            CHECK(t->restarts() == a.restarts());
            CHECK(t->best_move() == a.best_move());
        }
    }
}

void starting_at_the_optimum_stays_there() {
    const TestGraph g = derand_test::random_graph(12, 0.5, true, 21);
    const double best = g.max_cut();
    // find an optimal partition, then start from it
    derand::TabuSearch find(g.csr(), derand_test::random_signs(g.n, 1).data(), options(1));
    find.run(3000);
    CHECK(find.best_cut() == best);
    const std::vector<std::int8_t> xopt = find.best_x();
    derand::TabuSearch ts(g.csr(), xopt.data(), options(2));
    ts.run(1000);
    CHECK(ts.start_cut() == best && ts.best_cut() == best);
    CHECK(ts.best_move() == 0);
}

}  // namespace

int main() {
    return derand_test::run({
        {"tabu.finds_the_maximum_cut", finds_the_maximum_cut},
        {"tabu.restarts_keep_the_best", restarts_keep_the_best},
        {"tabu.deterministic_and_chunking_invariant", deterministic_and_chunking_invariant},
        {"tabu.starting_at_the_optimum_stays_there", starting_at_the_optimum_stays_there},
    });
}
