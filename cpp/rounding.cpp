#include "rounding.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <cmath>
#include <vector>

namespace derand {

namespace {
constexpr int kBlock = 8;
}

// AVX2 clone where available: the same per-lane arithmetic, so the same bits.
__attribute__((target_clones("avx2", "default")))
void hyperplane_cuts(const EdgeList& g, const double* V, int r, const double* Z, std::int64_t nz, int threads,
                     double* out) {
    const int nt = std::max(1, threads);
    const std::int64_t n = g.n;
    const std::int64_t n_blocks = (nz + kBlock - 1) / kBlock;
    // Per-thread side buffers: side[i * kBlock + b] in {0, 1}.
    std::vector<std::uint8_t> sides(static_cast<std::size_t>(nt) * static_cast<std::size_t>(n) * kBlock);
    std::vector<double> zt(static_cast<std::size_t>(nt) * static_cast<std::size_t>(r) * kBlock);
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
#ifdef _OPENMP
        const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
#else
        const std::size_t t = 0;  // serial build (no OpenMP): one thread
#endif
        std::uint8_t* side = sides.data() + t * static_cast<std::size_t>(n) * kBlock;
        double* Zt = zt.data() + t * static_cast<std::size_t>(r) * kBlock;  // Zt[k * kBlock + b]
#pragma omp for schedule(static)
        for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
            const std::int64_t h0 = blk * kBlock;
            const int nb = static_cast<int>(std::min<std::int64_t>(kBlock, nz - h0));
            for (int k = 0; k < r; ++k) {
                for (int b = 0; b < kBlock; ++b) Zt[k * kBlock + b] = b < nb ? Z[(h0 + b) * r + k] : 0.0;
            }
            for (std::int64_t i = 0; i < n; ++i) {
                const double* vi = V + i * r;
                double acc[kBlock] = {0, 0, 0, 0, 0, 0, 0, 0};
                for (int k = 0; k < r; ++k) {
                    const double a = vi[k];
                    for (int b = 0; b < kBlock; ++b) acc[b] += a * Zt[k * kBlock + b];
                }
                for (int b = 0; b < kBlock; ++b) side[i * kBlock + b] = acc[b] < 0.0 ? 1 : 0;
            }
            double cut[kBlock] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (std::int64_t e = 0; e < g.m; ++e) {
                const std::uint8_t* su = side + static_cast<std::int64_t>(g.u[e]) * kBlock;
                const std::uint8_t* sv = side + static_cast<std::int64_t>(g.v[e]) * kBlock;
                const double w = g.w[e];
                for (int b = 0; b < kBlock; ++b) cut[b] += (su[b] != sv[b]) ? w : 0.0;
            }
            for (int b = 0; b < nb; ++b) out[h0 + b] = cut[b];
        }
    }
}

void hyperplane_partition(std::int64_t n, const double* V, int r, const double* z, std::int8_t* x) {
    for (std::int64_t i = 0; i < n; ++i) {
        const double* vi = V + i * r;
        double acc = 0.0;
        for (int k = 0; k < r; ++k) acc += vi[k] * z[k];
        x[i] = acc < 0.0 ? -1 : 1;
    }
}

double gw_expected_cut(const EdgeList& g, const double* V, int r, int threads) {
    const std::int64_t nb = (g.m + kSumBlock - 1) / kSumBlock;
    std::vector<double> part(static_cast<std::size_t>(nb), 0.0);
    const double inv_pi = 1.0 / std::acos(-1.0);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::int64_t b = 0; b < nb; ++b) {
        double s = 0.0;
        const std::int64_t hi = std::min(g.m, (b + 1) * kSumBlock);
        for (std::int64_t e = b * kSumBlock; e < hi; ++e) {
            const double* a = V + static_cast<std::int64_t>(g.u[e]) * r;
            const double* c = V + static_cast<std::int64_t>(g.v[e]) * r;
            double d = 0.0, na = 0.0, nc = 0.0;
            for (int k = 0; k < r; ++k) {
                d += a[k] * c[k];
                na += a[k] * a[k];
                nc += c[k] * c[k];
            }
            const double den = std::sqrt(na * nc);
            double rho = den > 0.0 ? d / den : 0.0;
            rho = std::min(1.0, std::max(-1.0, rho));
            s += g.w[e] * std::acos(rho);
        }
        part[static_cast<std::size_t>(b)] = s;
    }
    double total = 0.0;
    for (double s : part) total += s;
    return total * inv_pi;
}

}  // namespace derand
