// Exact expected-cut kernel (see exact_cut.hpp).
#include "exact_cut.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "bvn.hpp"

namespace derand {

namespace {

constexpr std::int64_t kBlock = 4096;  // fixed reduction blocks: independent of the thread count
constexpr double kDeterministic = 1e10;  // |a| of a node with v_i = 0 (Phi = 0 or 1, phi = 0)
// Below this many edges an evaluation (~40 ns per edge) is too short to pay for waking
// threads: each step has four synchronisation points, and on a loaded machine each can
// cost milliseconds (G81, m = 40 000, 1500 steps: 6.8 s on one thread, 33 s on two at load 14).
constexpr std::int64_t kParallelMinEdges = 65536;

}  // namespace

ExactCut::ExactCut(const double* V, std::int64_t n, std::int64_t r, const std::int64_t* ei,
                   const std::int64_t* ej, const double* w, std::int64_t m, int threads)
    : n_(n), m_(m), ei_(ei, ei + m), ej_(ej, ej + m), w_(w, w + m), norm_(n), rho_(m), q_(m),
      adj_ptr_(n + 1, 0), adj_slot_(2 * m), a_(n), pdf_(n), cdf_(n), contrib_(2 * m),
      block_((m + kBlock - 1) / kBlock) {
    for (std::int64_t k = 0; k < m; ++k) {
        if (ei[k] < 0 || ei[k] >= n || ej[k] < 0 || ej[k] >= n) {
            throw std::invalid_argument("edges: endpoint out of range [0, " + std::to_string(n) + ") at edge " +
                                        std::to_string(k));
        }
        if (ei[k] == ej[k]) throw std::invalid_argument("edges: self-loop at edge " + std::to_string(k));
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (std::int64_t c = 0; c < r; ++c) s += V[i * r + c] * V[i * r + c];
        norm_[i] = std::sqrt(s);
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t k = 0; k < m; ++k) {
        const std::int64_t i = ei[k], j = ej[k];
        double rho = 0.0;
        if (norm_[i] > 0.0 && norm_[j] > 0.0) {
            double dot = 0.0;
            for (std::int64_t c = 0; c < r; ++c) dot += V[i * r + c] * V[j * r + c];
            rho = std::clamp(dot / (norm_[i] * norm_[j]), -1.0, 1.0);
        }
        rho_[k] = rho;
        q_[k] = std::sqrt((1.0 - rho) * (1.0 + rho));
    }
    for (std::int64_t k = 0; k < m; ++k) {
        ++adj_ptr_[ei[k] + 1];
        ++adj_ptr_[ej[k] + 1];
    }
    for (std::int64_t i = 0; i < n; ++i) adj_ptr_[i + 1] += adj_ptr_[i];
    std::vector<std::int64_t> fill(adj_ptr_.begin(), adj_ptr_.end() - 1);
    for (std::int64_t k = 0; k < m; ++k) {
        adj_slot_[fill[ei[k]]++] = 2 * k;
        adj_slot_[fill[ej[k]]++] = 2 * k + 1;
    }
}

namespace {

// 1 - 2 Phi(t / q), with the limit q -> 0 (rho = +-1): a step with 0 at t = 0. For
// |t/q| > 8.5 the result is exactly -1 or +1 in double precision (Phi's distance to 0 or 1 is
// below 2^-54), so the CDF is skipped without changing a bit.
inline double cond_factor(double t, double q) {
    if (q > 0.0) {
        const double u = t / q;
        if (u > 8.5) return -1.0;
        if (u < -8.5) return 1.0;
        return 1.0 - 2.0 * norm_cdf(u);
    }
    return t > 0.0 ? -1.0 : (t < 0.0 ? 1.0 : 0.0);
}

}  // namespace

double ExactCut::evaluate(const double* mu, double s, bool want_value, double* grad_mu, double* d_ds,
                          int threads) {
    const std::int64_t n = n_, m = m_;
    const bool want_grad = grad_mu != nullptr || d_ds != nullptr;
    const int nt = m >= kParallelMinEdges ? threads : 1;
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
        for (std::int64_t i = 0; i < n; ++i) {
            double a;
            if (norm_[i] > 0.0) {
                a = mu[i] / (s * norm_[i]);
                pdf_[i] = norm_pdf(a);
            } else {
                a = mu[i] >= 0.0 ? kDeterministic : -kDeterministic;
                pdf_[i] = 0.0;
            }
            a_[i] = a;
            if (want_value) cdf_[i] = norm_cdf(a);
        }
#pragma omp for schedule(static)
        for (std::int64_t b = 0; b < static_cast<std::int64_t>(block_.size()); ++b) {
            const std::int64_t k1 = std::min(m, (b + 1) * kBlock);
            double acc = 0.0;
            for (std::int64_t k = b * kBlock; k < k1; ++k) {
                const std::int64_t i = ei_[k], j = ej_[k];
                const double ai = a_[i], aj = a_[j], rho = rho_[k], q = q_[k], w = w_[k];
                if (want_grad) {
                    // a zero density (|a| > ~38.6, common once s is small) makes the term exactly 0:
                    // skip its CDF
                    const double pi = pdf_[i], pj = pdf_[j];
                    contrib_[2 * k] = pi == 0.0 ? 0.0 : w * pi * cond_factor(aj - rho * ai, q);
                    contrib_[2 * k + 1] = pj == 0.0 ? 0.0 : w * pj * cond_factor(ai - rho * aj, q);
                }
                if (want_value) acc += w * (cdf_[i] + cdf_[j] - 2.0 * bvn_cdf(ai, aj, rho));
            }
            block_[b] = acc;
        }
        if (want_grad) {
#pragma omp for schedule(static)
            for (std::int64_t i = 0; i < n; ++i) {
                double g = 0.0;
                for (std::int64_t p = adj_ptr_[i]; p < adj_ptr_[i + 1]; ++p) g += contrib_[adj_slot_[p]];
                // reuse pdf_ as dE/da_i (the density is no longer needed)
                pdf_[i] = g;
                if (grad_mu != nullptr) grad_mu[i] = norm_[i] > 0.0 ? g / (s * norm_[i]) : 0.0;
            }
        }
    }
    if (d_ds != nullptr) {
        double acc = 0.0;  // da_i/ds = -a_i / s; fixed order
        for (std::int64_t i = 0; i < n; ++i) {
            if (norm_[i] > 0.0) acc -= pdf_[i] * a_[i];
        }
        *d_ds = acc / s;
    }
    double value = 0.0;
    if (want_value) {
        for (double v : block_) value += v;
    }
    return value;
}

}  // namespace derand
