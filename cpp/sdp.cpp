#include "sdp.hpp"

#include "dense.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>

namespace derand {

Coloring greedy_coloring(const Csr& g) {
    const std::int64_t n = g.n;
    std::vector<std::int32_t> color(static_cast<std::size_t>(n), -1);
    std::vector<std::int64_t> mark;  // mark[c] == i: colour c used by a neighbour of i
    std::int32_t n_colors = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t p = g.indptr[i]; p < g.indptr[i + 1]; ++p) {
            const std::int32_t c = color[static_cast<std::size_t>(g.indices[p])];
            if (c >= 0) mark[static_cast<std::size_t>(c)] = i;
        }
        std::int32_t c = 0;
        while (c < n_colors && mark[static_cast<std::size_t>(c)] == i) ++c;
        if (c == n_colors) {
            ++n_colors;
            mark.push_back(-1);
        }
        color[static_cast<std::size_t>(i)] = c;
    }
    Coloring col;
    col.class_ptr.assign(static_cast<std::size_t>(n_colors) + 1, 0);
    for (std::int64_t i = 0; i < n; ++i) ++col.class_ptr[static_cast<std::size_t>(color[static_cast<std::size_t>(i)]) + 1];
    for (std::int32_t c = 0; c < n_colors; ++c) col.class_ptr[static_cast<std::size_t>(c) + 1] += col.class_ptr[static_cast<std::size_t>(c)];
    col.order.resize(static_cast<std::size_t>(n));
    std::vector<std::int64_t> fill(col.class_ptr.begin(), col.class_ptr.end() - 1);
    for (std::int64_t i = 0; i < n; ++i) {
        col.order[static_cast<std::size_t>(fill[static_cast<std::size_t>(color[static_cast<std::size_t>(i)])]++)] =
            static_cast<std::int32_t>(i);
    }
    col.class_work.assign(static_cast<std::size_t>(n_colors), 0);
    for (std::int64_t i = 0; i < n; ++i) {
        col.class_work[static_cast<std::size_t>(color[static_cast<std::size_t>(i)])] +=
            g.indptr[i + 1] - g.indptr[i] + 2;
    }
    return col;
}

// AVX2 clone where the CPU has it (4-wide instead of SSE2's 2-wide); the
// arithmetic per lane is the same, so results are bit-identical either way.
__attribute__((target_clones("avx2", "default")))
double mixing_update(const Csr& g, double* V, int r, std::int64_t i, double* buf) {
    std::fill(buf, buf + r, 0.0);
    for (std::int64_t p = g.indptr[i]; p < g.indptr[i + 1]; ++p) {
        const double w = g.weights[p];
        const double* vj = V + static_cast<std::int64_t>(g.indices[p]) * r;
        for (int k = 0; k < r; ++k) buf[k] += w * vj[k];
    }
    const double nrm = std::sqrt(fixed_dot(buf, buf, r));
    if (!(nrm > 1e-150)) return 0.0;
    double* vi = V + i * r;
    const double dot = fixed_dot(vi, buf, r);
    const double inv = -1.0 / nrm;
    for (int k = 0; k < r; ++k) vi[k] = buf[k] * inv;
    return 0.5 * (nrm + dot);
}

SweepStats mixing_sweeps(const Csr& g, double* V, int r, const Coloring& col, std::int64_t max_sweeps,
                         double tol, double time_budget, int threads, double* slots) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const std::int64_t n_classes = static_cast<std::int64_t>(col.class_ptr.size()) - 1;
    const int nt = std::max(1, threads);
    std::vector<double> bufs(static_cast<std::size_t>(nt) * static_cast<std::size_t>(r));
    SweepStats st;
    while (st.sweeps < max_sweeps) {
        for (std::int64_t c = 0; c < n_classes; ++c) {
            const std::int64_t lo = col.class_ptr[static_cast<std::size_t>(c)];
            const std::int64_t hi = col.class_ptr[static_cast<std::size_t>(c) + 1];
            if (nt > 1 && col.class_work[static_cast<std::size_t>(c)] * r >= kParallelWork) {
#pragma omp parallel num_threads(nt)
                {
#ifdef _OPENMP
                    const auto t = static_cast<std::size_t>(omp_get_thread_num());
#else
                    const std::size_t t = 0;  // serial build (no OpenMP): one thread
#endif
                    double* buf = bufs.data() + t * static_cast<std::size_t>(r);
#pragma omp for schedule(static)
                    for (std::int64_t k = lo; k < hi; ++k) {
                        const std::int64_t i = col.order[static_cast<std::size_t>(k)];
                        slots[i] = mixing_update(g, V, r, i, buf);
                    }
                }
            } else {
                for (std::int64_t k = lo; k < hi; ++k) {
                    const std::int64_t i = col.order[static_cast<std::size_t>(k)];
                    slots[i] = mixing_update(g, V, r, i, bufs.data());
                }
            }
        }
        double delta = 0.0;
        for (std::int64_t i = 0; i < g.n; ++i) delta += slots[i];
        ++st.sweeps;
        st.last_delta = delta;
        if (delta < tol) {
            st.converged = true;
            break;
        }
        if (std::chrono::duration<double>(clock::now() - t0).count() >= time_budget) break;
    }
    return st;
}

double sdp_objective(const Csr& g, const double* V, int r, int threads) {
    const std::int64_t nb = (g.n + kSumBlock - 1) / kSumBlock;
    std::vector<double> part(static_cast<std::size_t>(nb), 0.0);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::int64_t b = 0; b < nb; ++b) {
        double s = 0.0;
        const std::int64_t hi = std::min(g.n, (b + 1) * kSumBlock);
        for (std::int64_t i = b * kSumBlock; i < hi; ++i) {
            const double* vi = V + i * r;
            for (std::int64_t p = g.indptr[i]; p < g.indptr[i + 1]; ++p) {
                const double* vj = V + static_cast<std::int64_t>(g.indices[p]) * r;
                s += g.weights[p] * (1.0 - fixed_dot(vi, vj, r));
            }
        }
        part[static_cast<std::size_t>(b)] = s;
    }
    double total = 0.0;
    for (double s : part) total += s;
    return 0.25 * total;  // each edge appears twice in the CSR
}

}  // namespace derand
