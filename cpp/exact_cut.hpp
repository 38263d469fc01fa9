// Exact expected cut of the Gaussian rounding x_i = sgn(v_i . z + mu_i),
// z ~ N(0, I_r), with V scaled by s > 0 (derand-exact; paper Theorem 5.2's rounding in closed form):
//
//     E[cut] = sum_ij w_ij (Phi(a_i) + Phi(a_j) - 2 Phi2(a_i, a_j; rho_ij)),
//     a_i = mu_i / (s ||v_i||),  rho_ij = v_i . v_j / (||v_i|| ||v_j||),
//
// with the closed-form derivative
//     dP/da_i = phi(a_i) (1 - 2 Phi((a_j - rho_ij a_i) / sqrt(1 - rho_ij^2))).
// At mu = 0 it is the Goemans-Williamson expected cut sum w_ij arccos(rho_ij)/pi.
//
// A node with v_i = 0 is deterministic: its sign is sgn(mu_i) with +1 for
// mu_i = 0, and its mu-gradient is 0. O(m) per evaluation. Results are
// bit-identical for every thread count: one thread scatters edge terms into
// the nodes in edge order; several threads write per-edge slots and each node
// gathers its slots in the same edge order. No Python dependency.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "graph.hpp"

namespace derand {

// Adam ascent (Kingma & Ba 2015, bias-corrected) on E[cut] over mu.
struct AdamParams {
    double lr, beta1, beta2, eps;
};

// `runs` independent ascents, updated in place: points mu and Adam moments m1, m2 (runs x n,
// row-major), and per run the best sign cut seen (best_cut) with its signs (best_x, runs x n).
struct AscentState {
    double* mu;
    double* m1;
    double* m2;
    double* best_cut;
    std::int8_t* best_x;
    std::int64_t runs;
};

class ExactCut {
   public:
    // The edges of g (0 <= u < v < g.n, the EdgeList contract) and V: g.n x r row-major.
    // Nothing of g is kept: the kernel copies what it reads.
    ExactCut(const EdgeList& g, const double* V, std::int64_t r, int threads);

    // Evaluates E[cut] at (mu, s). grad_mu (length n) and d_ds may be null.
    // Returns the value when want_value, else 0.
    double evaluate(const double* mu, double s, bool want_value, double* grad_mu, double* d_ds, int threads);

    // k Adam ascent steps on each run, step j at scale s[j]; t0 steps were taken before (bias
    // corrections use t0 + j + 1). After every step t0 + j + 1 divisible by check_every, the sign
    // cut of each run is computed and kept when it beats best_cut. Several runs go to separate
    // threads (no synchronisation inside the k steps); a single run shares its edge pass from
    // kParallelMinEdges edges on.
    void ascend(const AscentState& st, const double* s, std::int64_t k, std::int64_t t0, const AdamParams& adam,
                std::int64_t check_every, int threads);

    // Cut weight of x = sgn(mu) (+1 at 0), summed in edge order.
    double sign_cut(const double* mu) const;

    std::int64_t n() const { return n_; }
    std::int64_t m() const { return m_; }
    const std::vector<double>& norms() const { return norm_; }
    const std::vector<double>& rho() const { return rho_; }

   private:
    // per-run buffers: a, phi(a), Phi(a) (value only), dE/da, per-edge slots (several threads only)
    struct Workspace {
        std::vector<double> a, pdf, cdf, ga, contrib;
    };
    Workspace& workspace(std::int64_t r);
    // ws.a and ws.pdf (and ws.cdf when want_cdf) at (mu, s)
    void prepare(Workspace& ws, const double* mu, double s, bool want_cdf, int threads) const;
    // ws.ga = dE/da from ws.a and ws.pdf
    void grad_a(Workspace& ws, int threads) const;
    void ascend_run(Workspace& ws, const AscentState& st, std::int64_t r, const double* s, std::int64_t k,
                    std::int64_t t0, const AdamParams& adam, std::int64_t check_every, int threads) const;

    // what the gradient pass reads per edge, in one 32-byte record: endpoints, weight,
    // 1/sqrt(1 - rho^2) and rho/sqrt(1 - rho^2) (both 0 when |rho| = 1)
    struct Edge {
        std::int32_t i, j;
        double w, iq, rq;
    };

    std::int64_t n_, m_;
    std::vector<Edge> e_;
    std::vector<double> rho_;
    std::vector<double> norm_, inv_norm_;  // inv_norm = 0 for a zero row
    std::vector<std::int64_t> adj_ptr_, adj_slot_;  // CSR: node -> slots 2e (as i) / 2e+1 (as j)
    std::vector<std::unique_ptr<Workspace>> work_;  // one per run, created on first use
    std::vector<double> block_;  // per-block partial values
};

}  // namespace derand
