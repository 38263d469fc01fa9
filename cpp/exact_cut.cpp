// Exact expected-cut kernel (see exact_cut.hpp).
#include "exact_cut.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <thread>

#include "bvn.hpp"

namespace derand {

namespace {

constexpr std::int64_t kBlock = 4096;  // fixed reduction blocks of the value: independent of the thread count
// |a| cap: a node with v_i = 0 sits at +-kDeterministic (Phi = 0 or 1, phi = 0 exactly), and
// capping every a there keeps the per-edge arguments finite without changing a bit of the result.
constexpr double kDeterministic = 1e10;
// Below this many edges a gradient pass (~10 ns per edge) is too short to pay for waking
// threads: a step has several synchronisation points, and on a loaded machine each can cost
// milliseconds (G81, m = 40 000: 2 threads were 5x slower than 1 at load 14).
constexpr std::int64_t kParallelMinEdges = 65536;
// The value costs a bivariate normal CDF per edge (~0.3 us): threads pay off much earlier.
constexpr std::int64_t kParallelMinValueEdges = 4096;

// u -> 1 - 2 Phi(u) = -erf(u / sqrt 2), the conditional factor of the gradient.
// Piecewise degree-5 polynomials in the fraction tau in [0, 1) of 32|u| (pieces of width 1/32 on
// [0, 8.5), 13 KB), built once from the Chebyshev interpolants of erfl; absolute error below
// 3e-15 (tested against scipy's ndtr through the gradient; degree 7 on width 1/8 was 2e-16 but
// 8 % slower per step). From |u| = 8.5 on, erf is 1 to double precision. Odd: the sign is
// copied from -u, and the value at u = 0 is exactly 0. Branch-free apart from the piece lookup,
// several times cheaper than erfc.
class OneMinusTwoPhi {
   public:
    OneMinusTwoPhi() {
        constexpr int n = kDeg + 1;
        const long double pi = 3.141592653589793238462643383279502884L;
        for (int p = 0; p < kPieces; ++p) {
            // Chebyshev coefficients of f(t) = erf(u(t)/sqrt 2), u = (p + (t + 1)/2) / 8, t in [-1, 1]
            std::array<long double, n> f{}, cheb{};
            for (int k = 0; k < n; ++k) {
                const long double t = std::cos(pi * (k + 0.5L) / n);
                f[k] = std::erf((p + 0.5L * (t + 1.0L)) / (kPerUnit * std::sqrt(2.0L)));
            }
            for (int j = 0; j < n; ++j) {
                long double acc = 0.0L;
                for (int k = 0; k < n; ++k) acc += f[k] * std::cos(pi * j * (k + 0.5L) / n);
                cheb[j] = acc * (j == 0 ? 1.0L : 2.0L) / n;
            }
            // monomial coefficients in tau = (t + 1)/2 via the shifted Chebyshev recurrence
            // T*_0 = 1, T*_1 = 2 tau - 1, T*_{j+1} = 2 (2 tau - 1) T*_j - T*_{j-1}
            std::array<long double, n> mono{}, prev{}, cur{}, next{};
            prev[0] = 1.0L;
            cur[0] = -1.0L;
            cur[1] = 2.0L;
            for (int d = 0; d < n; ++d) mono[d] += cheb[0] * prev[d] + (n > 1 ? cheb[1] * cur[d] : 0.0L);
            for (int j = 2; j < n; ++j) {
                for (int d = 0; d < n; ++d) {
                    next[d] = -2.0L * cur[d] - prev[d] + (d > 0 ? 4.0L * cur[d - 1] : 0.0L);
                }
                for (int d = 0; d < n; ++d) mono[d] += cheb[j] * next[d];
                prev = cur;
                cur = next;
            }
            for (int d = 0; d < n; ++d) c_[p * n + d] = static_cast<double>(mono[d]);
        }
        c_[0] = 0.0;  // erf(0) = 0 exactly (the interpolant is off by ~1e-17)
        c_[kPieces * n] = 1.0;  // the last, constant piece: |u| >= 8.5
    }

    double operator()(double u) const {
        const double x = std::min(std::fabs(u) * kPerUnit, static_cast<double>(kPieces));
        const int p = static_cast<int>(x);
        const double tau = x - p;
        const double* c = &c_[p * (kDeg + 1)];
        // Estrin's scheme: a shorter dependency chain than Horner's
        const double t2 = tau * tau;
        const double r = (c[0] + c[1] * tau) + t2 * ((c[2] + c[3] * tau) + t2 * (c[4] + c[5] * tau));
        return std::copysign(r, -u);
    }

   private:
    static constexpr int kDeg = 5;  // the evaluation below is written out for this degree
    static constexpr int kPieces = 272;       // 8.5 * kPerUnit
    static constexpr double kPerUnit = 32.0;  // pieces per unit of |u|
    std::array<double, (kPieces + 1) * (kDeg + 1)> c_{};
};

const OneMinusTwoPhi& one_minus_two_phi() {
    static const OneMinusTwoPhi table;  // thread-safe one-time initialisation (C++11)
    return table;
}

// 1 - 2 Phi(t / q) in the limit q -> 0 (rho = +-1): a step with 0 at t = 0.
inline double step_factor(double t) { return t > 0.0 ? -1.0 : (t < 0.0 ? 1.0 : 0.0); }

}  // namespace

ExactCut::ExactCut(const EdgeList& g, const double* V, std::int64_t r, int threads)
    : n_(g.n), m_(g.m), e_(g.m), rho_(g.m), norm_(g.n), inv_norm_(g.n), adj_ptr_(g.n + 1, 0), adj_slot_(2 * g.m),
      block_((g.m + kBlock - 1) / kBlock) {
    const std::int64_t n = g.n, m = g.m;
    const std::int32_t* ei = g.u;
    const std::int32_t* ej = g.v;
    const double* w = g.w;
    one_minus_two_phi();  // build the table outside any parallel region
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (std::int64_t c = 0; c < r; ++c) s += V[i * r + c] * V[i * r + c];
        norm_[i] = std::sqrt(s);
        inv_norm_[i] = norm_[i] > 0.0 ? 1.0 / norm_[i] : 0.0;
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
        const double q = std::sqrt((1.0 - rho) * (1.0 + rho));
        e_[k] = Edge{static_cast<std::int32_t>(i), static_cast<std::int32_t>(j), w[k], q > 0.0 ? 1.0 / q : 0.0,
                     q > 0.0 ? rho / q : 0.0};
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

void ExactCut::prepare(Workspace& ws, const double* mu, double s, bool want_cdf, int threads) const {
    const double inv_s = 1.0 / s;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (std::int64_t i = 0; i < n_; ++i) {
        const double a = inv_norm_[i] > 0.0 ? std::clamp(mu[i] * (inv_norm_[i] * inv_s), -kDeterministic,
                                                         kDeterministic)
                                            : (mu[i] >= 0.0 ? kDeterministic : -kDeterministic);
        ws.a[i] = a;
        ws.pdf[i] = norm_pdf(a);
        if (want_cdf) ws.cdf[i] = norm_cdf(a);
    }
}

void ExactCut::grad_a(Workspace& ws, int threads) const {
    const OneMinusTwoPhi& f = one_minus_two_phi();
    const std::int64_t m = m_;
    // dP_k/da_i and dP_k/da_j of edge k (identical expressions on both paths below)
    const Edge* E = e_.data();
    const double* A = ws.a.data();
    const double* P = ws.pdf.data();
    const double* R = rho_.data();
    auto terms = [&](std::int64_t k, double& ci, double& cj) {
        const std::int64_t i = E[k].i, j = E[k].j;
        const double pi = P[i], pj = P[j];
        if (pi == 0.0 && pj == 0.0) {  // both ends saturated (|a| > 38.6, most edges once s is small)
            ci = cj = 0.0;
            return;
        }
        const double ai = A[i], aj = A[j], iq = E[k].iq, rq = E[k].rq;
        double fi, fj;
        if (iq > 0.0) {
            fi = f(aj * iq - ai * rq);
            fj = f(ai * iq - aj * rq);
        } else {
            fi = step_factor(aj - R[k] * ai);
            fj = step_factor(ai - R[k] * aj);
        }
        ci = E[k].w * pi * fi;
        cj = E[k].w * pj * fj;
    };
    if (threads <= 1) {
        // scatter in edge order: node i receives its terms in increasing k, as the gather below
        double* G = ws.ga.data();
        std::fill(G, G + n_, 0.0);
        for (std::int64_t k = 0; k < m; ++k) {
            double ci, cj;
            terms(k, ci, cj);
            G[E[k].i] += ci;
            G[E[k].j] += cj;
        }
        return;
    }
    ws.contrib.resize(2 * m);
    double* C = ws.contrib.data();
    double* G = ws.ga.data();
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(static)
        for (std::int64_t k = 0; k < m; ++k) terms(k, C[2 * k], C[2 * k + 1]);
#pragma omp for schedule(static)
        for (std::int64_t i = 0; i < n_; ++i) {
            double g = 0.0;
            for (std::int64_t p = adj_ptr_[i]; p < adj_ptr_[i + 1]; ++p) g += C[adj_slot_[p]];
            G[i] = g;
        }
    }
}

double ExactCut::evaluate(const double* mu, double s, bool want_value, double* grad_mu, double* d_ds,
                          int threads) {
    const std::int64_t n = n_, m = m_;
    const bool want_grad = grad_mu != nullptr || d_ds != nullptr;
    const int nt = m >= kParallelMinEdges ? threads : 1;
    Workspace& ws = workspace(0);
    prepare(ws, mu, s, want_value, nt);
    double value = 0.0;
    if (want_value) {
        const int ntv = m >= kParallelMinValueEdges ? threads : 1;
#pragma omp parallel for num_threads(ntv) schedule(static) if (ntv > 1)
        for (std::int64_t b = 0; b < static_cast<std::int64_t>(block_.size()); ++b) {
            const std::int64_t k1 = std::min(m, (b + 1) * kBlock);
            double acc = 0.0;
            for (std::int64_t k = b * kBlock; k < k1; ++k) {
                const Edge& e = e_[k];
                acc += e.w * (ws.cdf[e.i] + ws.cdf[e.j] - 2.0 * bvn_cdf(ws.a[e.i], ws.a[e.j], rho_[k]));
            }
            block_[b] = acc;
        }
        for (double v : block_) value += v;
    }
    if (want_grad) {
        grad_a(ws, nt);
        const double inv_s = 1.0 / s;
        if (grad_mu != nullptr) {
            for (std::int64_t i = 0; i < n; ++i) grad_mu[i] = ws.ga[i] * (inv_norm_[i] * inv_s);
        }
        if (d_ds != nullptr) {
            double acc = 0.0;  // da_i/ds = -a_i / s; fixed order
            for (std::int64_t i = 0; i < n; ++i) {
                if (norm_[i] > 0.0) acc -= ws.ga[i] * ws.a[i];
            }
            *d_ds = acc * inv_s;
        }
    }
    return value;
}

void ExactCut::ascend_run(Workspace& ws, const AscentState& st, std::int64_t r, const double* s, std::int64_t k,
                          std::int64_t t0, const AdamParams& adam, std::int64_t check_every, int threads) const {
    const std::int64_t n = n_;
    double* mu = st.mu + r * n;
    double* m1 = st.m1 + r * n;
    double* m2 = st.m2 + r * n;
    const double b1 = adam.beta1, b2 = adam.beta2;
    for (std::int64_t j = 0; j < k; ++j) {
        prepare(ws, mu, s[j], false, threads);
        grad_a(ws, threads);
        const double t = static_cast<double>(t0 + j + 1);
        const double bc1 = 1.0 - std::pow(b1, t), bc2 = std::sqrt(1.0 - std::pow(b2, t));
        const double step = adam.lr * bc2 / bc1, eps = adam.eps * bc2, scale = 1.0 / s[j];
        const double* G = ws.ga.data();
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
        for (std::int64_t i = 0; i < n; ++i) {
            const double g = G[i] * (inv_norm_[i] * scale);
            m1[i] = b1 * m1[i] + (1.0 - b1) * g;
            m2[i] = b2 * m2[i] + (1.0 - b2) * (g * g);
            mu[i] += step * m1[i] / (std::sqrt(m2[i]) + eps);
        }
        if ((t0 + j + 1) % check_every == 0) {
            const double c = sign_cut(mu);
            if (c > st.best_cut[r]) {
                st.best_cut[r] = c;
                std::int8_t* x = st.best_x + r * n;
                for (std::int64_t i = 0; i < n; ++i) x[i] = mu[i] < 0.0 ? -1 : 1;
            }
        }
    }
}

void ExactCut::ascend(const AscentState& st, const double* s, std::int64_t k, std::int64_t t0,
                      const AdamParams& adam, std::int64_t check_every, int threads) {
    const std::int64_t runs = st.runs;
    for (std::int64_t r = runs - 1; r >= 0; --r) workspace(r);  // allocate before any thread starts
    if (runs == 1 || threads == 1) {
        // one run at a time; a large graph shares its edge pass between the threads
        const int nt = m_ >= kParallelMinEdges ? threads : 1;
        for (std::int64_t r = 0; r < runs; ++r) ascend_run(*work_[r], st, r, s, k, t0, adam, check_every, nt);
        return;
    }
    // independent runs side by side, runs t, t + nt, ... on worker t: no synchronisation inside the
    // k steps, and plain threads joined at the end (blocking, where an OpenMP barrier would spin
    // and take CPU from the other runs on a loaded machine)
    const std::int64_t nt = std::min<std::int64_t>(runs, threads);
    auto worker = [&](std::int64_t t) {
        for (std::int64_t r = t; r < runs; r += nt) ascend_run(*work_[r], st, r, s, k, t0, adam, check_every, 1);
    };
    std::vector<std::thread> pool;
    pool.reserve(nt - 1);
    for (std::int64_t t = 1; t < nt; ++t) pool.emplace_back(worker, t);
    worker(0);
    for (std::thread& th : pool) th.join();
}

ExactCut::Workspace& ExactCut::workspace(std::int64_t r) {
    if (static_cast<std::int64_t>(work_.size()) <= r) work_.resize(r + 1);
    if (!work_[r]) {
        work_[r] = std::make_unique<Workspace>();
        Workspace& ws = *work_[r];
        ws.a.resize(n_);
        ws.pdf.resize(n_);
        ws.cdf.resize(n_);
        ws.ga.resize(n_);
    }
    return *work_[r];
}

double ExactCut::sign_cut(const double* mu) const {
    double cut = 0.0;
    for (std::int64_t k = 0; k < m_; ++k) {
        cut += e_[k].w * static_cast<double>((mu[e_[k].i] < 0.0) != (mu[e_[k].j] < 0.0));
    }
    return cut;
}

}  // namespace derand
