// Simulated annealing for MAXCUT (single-spin Metropolis sweeps), the anytime
// polish after a rounding. Pure C++; the bindings are in bind_anneal.cpp.
//
// Written from the textbook description of simulated annealing (Kirkpatrick,
// Gelatt & Vecchi 1983) with the sequential-sweep Metropolis rule used for
// Ising spin glasses: a sweep visits the nodes 0..n-1 in order and flips node
// i with probability min(1, exp(beta * gain_i)), where gain_i is the cut
// increase if i flips (so beta is an inverse temperature in cut units). The
// gains are kept up to date in O(deg) per accepted flip; with integer weights
// the acceptance test is one table look-up and one 32-bit random number per
// losing flip (none when the flip is hopeless at this beta), otherwise one
// exp() per losing flip that is not hopeless (beta * |gain| < 40).
#pragma once

#include <cstdint>
#include <vector>

#include "graph.hpp"

namespace derand {

// Integer weights whose largest weighted degree is at most this use the integer kernel.
inline constexpr std::int64_t kAnnealMaxIntDegree = std::int64_t{1} << 24;

// A resumable annealer on an owned copy of the graph. The caller starts a
// *segment* (a geometric schedule of `sweeps` sweeps from beta_start to
// beta_end, from the current state) with schedule(), then calls run(k) until
// the segment is done; run() may be called in chunks of any size (the state
// after K sweeps does not depend on the chunking). The best partition ever
// seen (checked after every accepted flip; the start counts) is kept, so the
// result is never worse than the start. Everything is a pure function of
// (graph, start, seed, the sequence of calls with their sweep counts).
class Annealer {
public:
    Annealer(const Csr& g, const std::int8_t* x0, std::uint64_t seed);

    // A new segment from the current state: beta_s = beta_start * (beta_end / beta_start)^(s / (sweeps - 1)).
    void schedule(double beta_start, double beta_end, std::int64_t sweeps);
    // Up to `sweeps` more sweeps of the current segment; returns the number done.
    std::int64_t run(std::int64_t sweeps);
    // Greedy sweeps (only flips with gain > tol) until none flips or max_sweeps; returns sweeps done.
    std::int64_t descend(std::int64_t max_sweeps, double tol);
    // The current state becomes the best partition seen (gains rebuilt).
    void restore_best();

    std::vector<std::int8_t> best_x() const;
    const std::vector<std::int8_t>& x() const { return x_; }
    double start_cut() const { return start_cut_; }
    double best_cut() const { return integral_ ? static_cast<double>(best_icut_) : best_cut_; }
    double current_cut() const { return integral_ ? static_cast<double>(icut_) : cut_; }
    std::int64_t sweeps() const { return sweeps_; }          // sweeps run in total (all segments)
    std::int64_t flips() const { return flips_; }            // accepted flips in total
    std::int64_t segment_left() const { return seg_len_ - seg_pos_; }
    std::int64_t best_sweep() const { return best_sweep_; }  // total sweep count when the best was reached
    bool integral() const { return integral_; }

private:
    std::uint64_t next_random();
    void rebuild_state();
    double beta_at(std::int64_t s) const;
    void build_table(double beta);
    void sweep_int(double beta);
    void sweep_real(double beta);
    void flip_int(std::int32_t i);
    void flip_real(std::int32_t i);
    void note_flip(std::int32_t i);
    void materialize_best();

    std::int64_t n_ = 0;
    std::vector<std::int64_t> indptr_;
    std::vector<std::int32_t> indices_;
    std::vector<double> wd_;          // real weights (real kernel)
    std::vector<std::int32_t> wi_;    // 2 * weight (integer kernel)
    bool integral_ = false;
    std::int64_t max_gain_ = 0;       // largest weighted degree (integer kernel)
    std::uint64_t rng_ = 0;

    std::vector<std::int8_t> x_;
    std::vector<std::int32_t> gi_;    // gains (integer kernel)
    std::vector<double> gd_;          // gains (real kernel)
    std::int64_t icut_ = 0, best_icut_ = 0;
    double cut_ = 0.0, best_cut_ = 0.0, start_cut_ = 0.0;

    // acceptance table of the integer kernel: flip of gain -k (1 <= k < thr_.size()) accepted iff r32 < thr_[k]
    std::vector<std::uint32_t> thr_;
    std::size_t tlen_ = 0;
    double table_beta_ = -1.0;

    // best partition = snap_ with the first best_pos_ flips of log_ applied (best_pos_ >= 0), else best_x_
    std::vector<std::int8_t> best_x_, snap_;
    std::vector<std::int32_t> log_;
    std::int64_t best_pos_ = 0;

    double beta0_ = 1.0, beta1_ = 1.0;
    std::int64_t seg_len_ = 0, seg_pos_ = 0;
    std::int64_t sweeps_ = 0, flips_ = 0, best_sweep_ = 0;
};

}  // namespace derand
