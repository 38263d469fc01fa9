// Tabu search for MAXCUT (1-flip moves), the polish after a rounding.
// Pure C++; the bindings are in bind_tabu.cpp.
//
// Written from the published descriptions of 1-flip tabu search for max-cut
// (Kochenberger, Hao, Lü, Wang & Glover 2013, "Solving large scale max cut
// problems via tabu search", J. Heuristics 19) with the restart-from-the-best
// perturbation of Breakout Local Search (Benlic & Hao 2013, Eng. Appl. Artif.
// Intell. 26): every move flips the node of largest gain that is not tabu,
// or a tabu node whose flip beats the best cut found (aspiration); the flipped
// node stays tabu for a random tenure; after `stall` moves without a new best
// cut the search restarts from the best cut with `perturb` random flips.
#pragma once

#include <cstdint>
#include <vector>

#include "graph.hpp"

namespace derand {

// Largest weighted degree for which integer weights use bucket queues (2 D + 1 buckets).
inline constexpr std::int64_t kMaxBucketOffset = std::int64_t{1} << 22;

struct TabuOptions {
    std::int64_t tenure_min = 1;  // tenure of a flipped node: uniform in [tenure_min, tenure_max] moves
    std::int64_t tenure_max = 10;
    std::int64_t stall = 10000;   // moves without a new best cut before a restart from the best
    std::int64_t perturb = 0;     // random flips applied to the best cut at a restart
    double tol = 0.0;             // a cut must beat the best by more than tol to count as better
    std::uint64_t seed = 0;
};

// Largest key among the members of a set of nodes 0..n-1, kept in a
// tournament tree: O(log n) per change, O(1) to read the winner. The order
// (gain, then a random priority) is supplied by the owner at each call.
class TournamentTree {
public:
    void reset(std::int64_t n);
    // Leaf i becomes a member (present) or not, or its key changed: the path to the root is recomputed,
    // up to the first node whose winner was and stays another node (nothing above it changes).
    template <class Better>
    void set(std::int64_t i, bool present, const Better& better) {
        std::int64_t p = size_ + i;
        t_[static_cast<std::size_t>(p)] = present ? static_cast<std::int32_t>(i) : -1;
        for (p >>= 1; p >= 1; p >>= 1) {
            const std::int32_t before = t_[static_cast<std::size_t>(p)];
            const std::int32_t after = pick(2 * p, better);
            t_[static_cast<std::size_t>(p)] = after;
            if (after == before && before != static_cast<std::int32_t>(i)) break;
        }
    }
    // Recompute every internal node (after the leaves changed wholesale).
    template <class Better>
    void rebuild(const Better& better) {
        for (std::int64_t p = size_ - 1; p >= 1; --p) t_[static_cast<std::size_t>(p)] = pick(2 * p, better);
    }
    void set_leaf(std::int64_t i, bool present) {
        t_[static_cast<std::size_t>(size_ + i)] = present ? static_cast<std::int32_t>(i) : -1;
    }
    std::int32_t top() const { return t_.size() > 1 ? t_[1] : -1; }

private:
    template <class Better>
    std::int32_t pick(std::int64_t left, const Better& better) const {
        const std::int32_t a = t_[static_cast<std::size_t>(left)];
        const std::int32_t b = t_[static_cast<std::size_t>(left + 1)];
        if (a < 0) return b;
        if (b < 0) return a;
        return better(b, a) ? b : a;
    }
    std::int64_t size_ = 1;
    std::vector<std::int32_t> t_;
};

// The members of a set of nodes with integer keys in [-offset, offset], in
// one doubly linked list per key: O(1) insert/erase, the largest key found by
// scanning down from the largest key inserted (amortised O(1) per move, as
// keys move by at most the node's weighted degree). Used when every weight
// is an integer (then every gain is). A node joins its list first or second
// (the caller's random choice), so ties go to a recently changed node
// without always repeating the same one.
class BucketQueue {
public:
    void reset(std::int64_t n, std::int64_t offset);
    void clear();
    void insert(std::int32_t i, std::int64_t key, bool second);
    void erase(std::int32_t i, std::int64_t key);
    std::int32_t top();

private:
    std::int64_t offset_ = 0, top_ = -1;
    std::vector<std::int32_t> head_, next_, prev_;
};

// A resumable tabu search on an owned copy of the graph: run(k) performs k
// more moves. The state after K moves in total does not depend on how the K
// moves were split between calls (the caller may pause to check the clock or
// Ctrl-C), so the result is a pure function of (graph, start, options, K).
class TabuSearch {
public:
    TabuSearch(const Csr& g, const std::int8_t* x0, const TabuOptions& opt);
    void run(std::int64_t moves);

    const std::vector<std::int8_t>& best_x() const { return at_best_ ? x_ : best_x_; }
    double start_cut() const { return start_cut_; }
    double best_cut() const { return best_cut_; }    // tracked incrementally (exact for integer weights)
    double current_cut() const { return cut_; }
    std::int64_t moves() const { return iter_; }
    std::int64_t restarts() const { return restarts_; }
    std::int64_t best_move() const { return best_move_; }  // move count when the best cut was reached

private:
    std::uint64_t next_random();
    bool better(std::int32_t a, std::int32_t b) const {
        const double ga = gain_[static_cast<std::size_t>(a)], gb = gain_[static_cast<std::size_t>(b)];
        return ga > gb || (ga == gb && prio_[static_cast<std::size_t>(a)] > prio_[static_cast<std::size_t>(b)]);
    }
    std::int64_t key(std::int32_t i) const { return static_cast<std::int64_t>(gain_[static_cast<std::size_t>(i)]); }
    void add(std::int32_t i, bool tabu);                    // i joins the free or the tabu set
    void remove(std::int32_t i, bool tabu, double old_gain);  // i leaves it (old_gain: its gain when added)
    void rekey(std::int32_t i, bool tabu, double old_gain);   // i's gain changed from old_gain
    std::int32_t best_free();
    std::int32_t best_tabu();
    void flip(std::int32_t i);
    void release_expired();
    void restart();
    void rebuild_state();

    std::int64_t n_ = 0;
    std::vector<std::int64_t> indptr_;
    std::vector<std::int32_t> indices_;
    std::vector<double> weights_;
    TabuOptions opt_;
    std::uint64_t rng_ = 0;

    std::vector<std::int8_t> x_, best_x_;
    std::vector<double> gain_;                  // cut increase if the node flips
    std::vector<std::uint32_t> prio_;           // random tie-break, redrawn when the node flips
    std::vector<std::int64_t> tabu_until_;      // tabu while iter_ < tabu_until_
    std::vector<std::vector<std::int32_t>> expiry_;  // ring: nodes whose tenure ends at move t (slot t % size)
    bool buckets_ = false;                      // integer weights: bucket queues, else tournament trees
    TournamentTree free_, tabu_;                // non-tabu and tabu nodes by gain (real weights)
    BucketQueue bfree_, btabu_;                 // the same (integer weights)
    double start_cut_ = 0.0, cut_ = 0.0, best_cut_ = 0.0;
    bool at_best_ = true;                       // x_ is the best cut (best_x_ is stale)
    std::int64_t iter_ = 0, last_improvement_ = 0, best_move_ = 0, restarts_ = 0;
};

}  // namespace derand
