#include "cut.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <vector>

namespace derand {

double cut_value(const EdgeList& g, const std::int8_t* x) {
    double c = 0.0;
    for (std::int64_t e = 0; e < g.m; ++e) {
        if (x[g.u[e]] != x[g.v[e]]) c += g.w[e];
    }
    return c;
}

void cut_values(const EdgeList& g, const std::int8_t* X, std::int64_t k, int threads, double* out) {
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::int64_t r = 0; r < k; ++r) out[r] = cut_value(g, X + r * g.n);
}

LocalSearchResult local_search(const Csr& g, std::int8_t* x, std::int64_t max_moves, double tol) {
    const std::int64_t n = g.n;
    std::vector<double> gain(static_cast<std::size_t>(n));
    std::vector<std::int64_t> queue(static_cast<std::size_t>(n));  // ring buffer, at most n entries
    std::vector<char> queued(static_cast<std::size_t>(n), 0);
    std::int64_t head = 0, size = 0;
    auto push = [&](std::int64_t i) {
        queue[static_cast<std::size_t>((head + size) % n)] = i;
        ++size;
        queued[static_cast<std::size_t>(i)] = 1;
    };
    for (std::int64_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (std::int64_t p = g.indptr[i]; p < g.indptr[i + 1]; ++p) s += g.weights[p] * x[g.indices[p]];
        gain[static_cast<std::size_t>(i)] = x[i] * s;
        if (gain[static_cast<std::size_t>(i)] > tol) push(i);
    }
    LocalSearchResult res;
    while (size > 0) {
        if (res.moves >= max_moves) return res;
        const std::int64_t i = queue[static_cast<std::size_t>(head)];
        head = (head + 1) % n;
        --size;
        queued[static_cast<std::size_t>(i)] = 0;
        const double gi = gain[static_cast<std::size_t>(i)];
        if (!(gi > tol)) continue;
        x[i] = static_cast<std::int8_t>(-x[i]);
        gain[static_cast<std::size_t>(i)] = -gi;
        res.gain += gi;
        ++res.moves;
        const double xi = x[i];
        for (std::int64_t p = g.indptr[i]; p < g.indptr[i + 1]; ++p) {
            const std::int64_t j = g.indices[p];
            double& gj = gain[static_cast<std::size_t>(j)];
            gj += 2.0 * g.weights[p] * x[j] * xi;
            if (gj > tol && !queued[static_cast<std::size_t>(j)]) push(j);
        }
    }
    res.converged = true;
    return res;
}

}  // namespace derand
