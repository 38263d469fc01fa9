#include "anneal.hpp"

#include <algorithm>
#include <cmath>

namespace derand {

namespace {

// exp(-40) ~ 4e-18 < 2^-53: a losing flip with beta * |gain| >= 40 is never accepted (no random number drawn).
constexpr double kHopeless = 40.0;

}  // namespace

Annealer::Annealer(const Csr& g, const std::int8_t* x0, std::uint64_t seed)
    : n_(g.n),
      indptr_(g.indptr, g.indptr + g.n + 1),
      indices_(g.indices, g.indices + g.indptr[g.n]),
      rng_(seed),
      x_(x0, x0 + g.n) {
    const auto nnz = static_cast<std::size_t>(g.indptr[g.n]);
    // Integer weights with a moderate weighted degree: integer gains and a table of acceptance thresholds
    // (its length is at most the largest weighted degree + 1, rebuilt when beta changes).
    bool integral = true;
    double wdeg_max = 0.0;
    for (std::int64_t i = 0; i < n_; ++i) {
        double d = 0.0;
        for (std::int64_t p = g.indptr[i]; p < g.indptr[i + 1]; ++p) {
            const double w = g.weights[p];
            integral = integral && (w == std::nearbyint(w));
            d += std::fabs(w);
        }
        wdeg_max = std::max(wdeg_max, d);
    }
    const double cap = std::min(static_cast<double>(kAnnealMaxIntDegree), 4.0 * static_cast<double>(n_) + 64.0);
    integral_ = integral && wdeg_max <= cap;
    if (integral_) {
        max_gain_ = static_cast<std::int64_t>(wdeg_max);
        wi_.resize(nnz);
        for (std::size_t p = 0; p < nnz; ++p) wi_[p] = static_cast<std::int32_t>(2.0 * g.weights[p]);
        gi_.assign(static_cast<std::size_t>(n_), 0);
    } else {
        wd_.assign(g.weights, g.weights + nnz);
        gd_.assign(static_cast<std::size_t>(n_), 0.0);
    }
    rebuild_state();
    start_cut_ = current_cut();
    best_icut_ = icut_;
    best_cut_ = cut_;
    snap_ = x_;
    best_pos_ = 0;
    log_.reserve(static_cast<std::size_t>(std::max<std::int64_t>(n_, 1024)));
}

// splitmix64 (Steele, Lea & Flood 2014): a deterministic stream from the seed.
std::uint64_t Annealer::next_random() {
    std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Gains and the cut of x_ from scratch.
void Annealer::rebuild_state() {
    std::int64_t icut = 0;
    double cut = 0.0;
    for (std::int64_t i = 0; i < n_; ++i) {
        const auto ui = static_cast<std::size_t>(i);
        const std::int8_t xi = x_[ui];
        if (integral_) {
            std::int64_t s = 0;
            for (std::int64_t p = indptr_[ui]; p < indptr_[ui + 1]; ++p) {
                const auto up = static_cast<std::size_t>(p);
                const std::int8_t xj = x_[static_cast<std::size_t>(indices_[up])];
                s += wi_[up] * xj;
                if (indices_[up] > i && xj != xi) icut += wi_[up];
            }
            gi_[ui] = static_cast<std::int32_t>(xi * s / 2);
        } else {
            double s = 0.0;
            for (std::int64_t p = indptr_[ui]; p < indptr_[ui + 1]; ++p) {
                const auto up = static_cast<std::size_t>(p);
                const std::int8_t xj = x_[static_cast<std::size_t>(indices_[up])];
                s += wd_[up] * xj;
                if (indices_[up] > i && xj != xi) cut += wd_[up];
            }
            gd_[ui] = xi * s;
        }
    }
    icut_ = icut / 2;
    cut_ = cut;
}

double Annealer::beta_at(std::int64_t s) const {
    if (seg_len_ <= 1 || beta0_ == beta1_) return beta1_;
    return beta0_ * std::pow(beta1_ / beta0_, static_cast<double>(s) / static_cast<double>(seg_len_ - 1));
}

void Annealer::schedule(double beta_start, double beta_end, std::int64_t sweeps) {
    beta0_ = beta_start;
    beta1_ = beta_end;
    seg_len_ = sweeps;
    seg_pos_ = 0;
}

// thr_[k] = round-down of 2^32 exp(-beta k) for k = 1, 2, ... while it is positive (at most max_gain_).
void Annealer::build_table(double beta) {
    if (beta == table_beta_) return;
    table_beta_ = beta;
    thr_.assign(1, 0);
    for (std::int64_t k = 1; k <= max_gain_; ++k) {
        const double v = std::ldexp(std::exp(-beta * static_cast<double>(k)), 32);
        if (v < 1.0) break;
        thr_.push_back(v >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(v));
    }
    tlen_ = thr_.size();
}

void Annealer::note_flip(std::int32_t i) {
    ++flips_;
    log_.push_back(i);
    const bool better = integral_ ? icut_ > best_icut_ : cut_ > best_cut_;
    if (better) {
        best_icut_ = icut_;
        best_cut_ = cut_;
        best_pos_ = static_cast<std::int64_t>(log_.size());
        best_sweep_ = sweeps_ + 1;
    }
    if (static_cast<std::int64_t>(log_.size()) >= std::max<std::int64_t>(n_, 1024)) materialize_best();
}

// Fold the flip log into the snapshot (O(n + log) per >= n flips: O(1) amortised per flip).
void Annealer::materialize_best() {
    const auto len = static_cast<std::int64_t>(log_.size());
    if (best_pos_ >= 0 && best_pos_ < len) {
        best_x_ = snap_;
        for (std::int64_t t = 0; t < best_pos_; ++t) {
            auto& v = best_x_[static_cast<std::size_t>(log_[static_cast<std::size_t>(t)])];
            v = static_cast<std::int8_t>(-v);
        }
        best_pos_ = -1;
    } else if (best_pos_ == len) {
        best_pos_ = 0;  // the best is the current state, which becomes the snapshot
    }
    snap_ = x_;
    log_.clear();
}

std::vector<std::int8_t> Annealer::best_x() const {
    if (best_pos_ < 0) return best_x_;
    std::vector<std::int8_t> b = snap_;
    for (std::int64_t t = 0; t < best_pos_; ++t) {
        auto& v = b[static_cast<std::size_t>(log_[static_cast<std::size_t>(t)])];
        v = static_cast<std::int8_t>(-v);
    }
    return b;
}

void Annealer::restore_best() {
    x_ = best_x();
    rebuild_state();
    // the best state's cut, recomputed (with real weights this drops the drift of the incremental sum)
    best_icut_ = icut_;
    best_cut_ = cut_;
    snap_ = x_;
    log_.clear();
    best_pos_ = 0;
}

inline void Annealer::flip_int(std::int32_t i) {
    const auto ui = static_cast<std::size_t>(i);
    const std::int32_t g = gi_[ui];
    const std::int8_t xi = static_cast<std::int8_t>(-x_[ui]);
    x_[ui] = xi;
    gi_[ui] = -g;
    icut_ += g;
    const std::int64_t end = indptr_[ui + 1];
    const std::int32_t* ix = indices_.data();
    const std::int32_t* w = wi_.data();
    std::int32_t* gain = gi_.data();
    const std::int8_t* x = x_.data();
    for (std::int64_t p = indptr_[ui]; p < end; ++p) {
        const std::int32_t j = ix[p];
        gain[j] += w[p] * x[j] * xi;
    }
    note_flip(i);
}

inline void Annealer::flip_real(std::int32_t i) {
    const auto ui = static_cast<std::size_t>(i);
    const double g = gd_[ui];
    const std::int8_t xi = static_cast<std::int8_t>(-x_[ui]);
    x_[ui] = xi;
    gd_[ui] = -g;
    cut_ += g;
    const std::int64_t end = indptr_[ui + 1];
    const std::int32_t* ix = indices_.data();
    const double* w = wd_.data();
    double* gain = gd_.data();
    const std::int8_t* x = x_.data();
    for (std::int64_t p = indptr_[ui]; p < end; ++p) {
        const std::int32_t j = ix[p];
        gain[j] += 2.0 * w[p] * static_cast<double>(x[j] * xi);
    }
    note_flip(i);
}

void Annealer::sweep_int(double beta) {
    build_table(beta);
    const std::uint32_t* thr = thr_.data();
    const auto tlen = static_cast<std::uint32_t>(tlen_);
    for (std::int64_t i = 0; i < n_; ++i) {
        const std::int32_t g = gi_[static_cast<std::size_t>(i)];
        if (g < 0) {
            const auto k = static_cast<std::uint32_t>(-g);
            if (k >= tlen) continue;
            if (static_cast<std::uint32_t>(next_random() >> 32) >= thr[k]) continue;
        }
        flip_int(static_cast<std::int32_t>(i));
    }
}

void Annealer::sweep_real(double beta) {
    const double cutoff = kHopeless / beta;
    for (std::int64_t i = 0; i < n_; ++i) {
        const double g = gd_[static_cast<std::size_t>(i)];
        if (g < 0.0) {
            if (-g >= cutoff) continue;
            const double u = static_cast<double>(next_random() >> 11) * 0x1p-53;
            if (!(u < std::exp(beta * g))) continue;
        }
        flip_real(static_cast<std::int32_t>(i));
    }
}

std::int64_t Annealer::run(std::int64_t sweeps) {
    const std::int64_t m = std::max<std::int64_t>(0, std::min(sweeps, seg_len_ - seg_pos_));
    for (std::int64_t t = 0; t < m; ++t) {
        const double beta = beta_at(seg_pos_);
        if (integral_) {
            sweep_int(beta);
        } else {
            sweep_real(beta);
        }
        ++seg_pos_;
        ++sweeps_;
    }
    return m;
}

std::int64_t Annealer::descend(std::int64_t max_sweeps, double tol) {
    std::int64_t s = 0;
    while (s < max_sweeps) {
        ++s;
        const std::int64_t before = flips_;
        for (std::int64_t i = 0; i < n_; ++i) {
            const auto ui = static_cast<std::size_t>(i);
            if (integral_) {
                if (gi_[ui] > 0) flip_int(static_cast<std::int32_t>(i));
            } else if (gd_[ui] > tol) {
                flip_real(static_cast<std::int32_t>(i));
            }
        }
        if (flips_ == before) break;
    }
    return s;
}

}  // namespace derand
