// Exact expected cut of the Gaussian rounding x_i = sgn(v_i . z + mu_i),
// z ~ N(0, I_r), with V scaled by s > 0 (derand-exact, issue #5):
//
//     E[cut] = sum_ij w_ij (Phi(a_i) + Phi(a_j) - 2 Phi2(a_i, a_j; rho_ij)),
//     a_i = mu_i / (s ||v_i||),  rho_ij = v_i . v_j / (||v_i|| ||v_j||),
//
// with the closed-form derivative
//     dP/da_i = phi(a_i) (1 - 2 Phi((a_j - rho_ij a_i) / sqrt(1 - rho_ij^2))).
// At mu = 0 it is the Goemans-Williamson expected cut sum w_ij arccos(rho_ij)/pi.
//
// A node with v_i = 0 is deterministic: its sign is sgn(mu_i) with +1 for
// mu_i = 0, and its mu-gradient is 0. O(m) per evaluation, OpenMP over edges,
// bit-identical results for every thread count (per-edge slots reduced in a
// fixed order). No Python dependency.
#pragma once

#include <cstdint>
#include <vector>

namespace derand {

class ExactCut {
   public:
    // V: n x r row-major; edges (ei[k], ej[k]) with weights w[k], 0-based, ei != ej.
    // Throws std::invalid_argument on out-of-range or self-loop edges.
    ExactCut(const double* V, std::int64_t n, std::int64_t r, const std::int64_t* ei, const std::int64_t* ej,
             const double* w, std::int64_t m, int threads);

    // Evaluates E[cut] at (mu, s). grad_mu (length n) and d_ds may be null.
    // Returns the value when want_value, else 0.
    double evaluate(const double* mu, double s, bool want_value, double* grad_mu, double* d_ds, int threads);

    std::int64_t n() const { return n_; }
    std::int64_t m() const { return m_; }
    const std::vector<double>& norms() const { return norm_; }
    const std::vector<double>& rho() const { return rho_; }

   private:
    std::int64_t n_, m_;
    std::vector<std::int64_t> ei_, ej_;
    std::vector<double> w_, norm_, rho_, q_;  // q = sqrt(1 - rho^2)
    std::vector<std::int64_t> adj_ptr_, adj_slot_;  // CSR: node -> slots 2e (as i) / 2e+1 (as j)
    // workspace
    std::vector<double> a_, pdf_, cdf_, contrib_, block_;
};

}  // namespace derand
