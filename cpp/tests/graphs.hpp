// Small test graphs for the kernel tests: owned storage behind the kernels'
// EdgeList / Csr views, deterministic random graphs, and the independent
// truths (a cut counted edge by edge, the maximum cut by enumeration).
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "graph.hpp"

namespace derand_test {

// splitmix64: the tests' own deterministic generator (not the kernels').
struct Rng {
    std::uint64_t s;
    explicit Rng(std::uint64_t seed) : s(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    std::int64_t below(std::int64_t k) { return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(k)); }
};

struct TestGraph {
    std::int64_t n = 0;
    std::vector<std::int32_t> u, v;  // each undirected edge once, u < v
    std::vector<double> w;
    std::vector<std::int64_t> indptr;  // symmetric CSR
    std::vector<std::int32_t> indices;
    std::vector<double> weights;

    TestGraph(std::int64_t n_, const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b,
              const std::vector<double>& wt)
        : n(n_), w(wt) {
        for (std::size_t e = 0; e < a.size(); ++e) {
            if (a[e] == b[e]) throw std::invalid_argument("self-loop");
            u.push_back(a[e] < b[e] ? a[e] : b[e]);
            v.push_back(a[e] < b[e] ? b[e] : a[e]);
        }
        indptr.assign(static_cast<std::size_t>(n) + 1, 0);
        for (std::size_t e = 0; e < u.size(); ++e) {
            ++indptr[static_cast<std::size_t>(u[e]) + 1];
            ++indptr[static_cast<std::size_t>(v[e]) + 1];
        }
        for (std::int64_t i = 0; i < n; ++i) indptr[i + 1] += indptr[i];
        indices.resize(2 * u.size());
        weights.resize(2 * u.size());
        std::vector<std::int64_t> fill(indptr.begin(), indptr.end() - 1);
        for (std::size_t e = 0; e < u.size(); ++e) {
            indices[fill[u[e]]] = v[e];
            weights[fill[u[e]]++] = w[e];
            indices[fill[v[e]]] = u[e];
            weights[fill[v[e]]++] = w[e];
        }
    }

    std::int64_t m() const { return static_cast<std::int64_t>(u.size()); }
    derand::EdgeList edges() const { return {n, m(), u.data(), v.data(), w.data()}; }
    derand::Csr csr() const { return {n, indptr.data(), indices.data(), weights.data()}; }

    // Cut weight of x (+-1), edge by edge: the truth the kernels are compared with.
    double cut(const std::int8_t* x) const {
        double c = 0.0;
        for (std::size_t e = 0; e < u.size(); ++e) c += (x[u[e]] != x[v[e]]) ? w[e] : 0.0;
        return c;
    }
    double cut(const std::vector<std::int8_t>& x) const { return cut(x.data()); }

    // The maximum cut by enumeration of the 2^(n-1) partitions with x_0 = +1 (n <= 24).
    double max_cut() const {
        double best = -std::numeric_limits<double>::infinity();
        std::vector<std::int8_t> x(static_cast<std::size_t>(n));
        for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << (n - 1)); ++mask) {
            for (std::int64_t i = 0; i < n; ++i) x[i] = (i > 0 && ((mask >> (i - 1)) & 1)) ? -1 : 1;
            const double c = cut(x);
            if (c > best) best = c;
        }
        return best;
    }
};

inline TestGraph cycle(std::int64_t n) {
    std::vector<std::int32_t> a, b;
    for (std::int64_t i = 0; i < n; ++i) {
        a.push_back(static_cast<std::int32_t>(i));
        b.push_back(static_cast<std::int32_t>((i + 1) % n));
    }
    return TestGraph(n, a, b, std::vector<double>(a.size(), 1.0));
}

inline TestGraph complete(std::int64_t n) {
    std::vector<std::int32_t> a, b;
    for (std::int32_t i = 0; i < n; ++i)
        for (std::int32_t j = i + 1; j < n; ++j) {
            a.push_back(i);
            b.push_back(j);
        }
    return TestGraph(n, a, b, std::vector<double>(a.size(), 1.0));
}

// G(n, p) with weights: `integer` draws from {-2, -1, 1, 2, 3} (negative weights included),
// otherwise uniform in (-0.5, 2) (real weights: the kernels' other code paths).
inline TestGraph random_graph(std::int64_t n, double p, bool integer, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<std::int32_t> a, b;
    std::vector<double> w;
    static const double iw[5] = {-2.0, -1.0, 1.0, 2.0, 3.0};
    for (std::int32_t i = 0; i < n; ++i)
        for (std::int32_t j = i + 1; j < n; ++j) {
            if (rng.uniform() >= p) continue;
            a.push_back(i);
            b.push_back(j);
            w.push_back(integer ? iw[rng.below(5)] : -0.5 + 2.5 * rng.uniform() + 1e-3);
        }
    return TestGraph(n, a, b, w);
}

inline std::vector<std::int8_t> random_signs(std::int64_t n, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<std::int8_t> x(static_cast<std::size_t>(n));
    for (auto& s : x) s = (rng.next() >> 63) ? 1 : -1;
    return x;
}

}  // namespace derand_test
