#include "tabu.hpp"

#include <algorithm>
#include <cmath>

namespace derand {

void TournamentTree::reset(std::int64_t n) {
    size_ = 1;
    while (size_ < n) size_ <<= 1;
    t_.assign(static_cast<std::size_t>(2 * size_), -1);
}

void BucketQueue::reset(std::int64_t n, std::int64_t offset) {
    offset_ = offset;
    head_.assign(static_cast<std::size_t>(2 * offset + 1), -1);
    next_.assign(static_cast<std::size_t>(n), -1);
    prev_.assign(static_cast<std::size_t>(n), -1);
    top_ = -1;
}

void BucketQueue::clear() {
    std::fill(head_.begin(), head_.end(), -1);
    top_ = -1;
}

void BucketQueue::insert(std::int32_t i, std::int64_t key, bool second) {
    const std::int64_t b = key + offset_;
    const auto ui = static_cast<std::size_t>(i);
    const std::int32_t h = head_[static_cast<std::size_t>(b)];
    if (second && h >= 0) {  // behind the head; the largest key does not change
        const std::int32_t q = next_[static_cast<std::size_t>(h)];
        next_[ui] = q;
        prev_[ui] = h;
        next_[static_cast<std::size_t>(h)] = i;
        if (q >= 0) prev_[static_cast<std::size_t>(q)] = i;
        return;
    }
    next_[ui] = h;
    prev_[ui] = -1;
    if (h >= 0) prev_[static_cast<std::size_t>(h)] = i;
    head_[static_cast<std::size_t>(b)] = i;
    if (b > top_) top_ = b;
}

void BucketQueue::erase(std::int32_t i, std::int64_t key) {
    const auto ui = static_cast<std::size_t>(i);
    const std::int32_t p = prev_[ui], q = next_[ui];
    if (p >= 0) {
        next_[static_cast<std::size_t>(p)] = q;
    } else {
        head_[static_cast<std::size_t>(key + offset_)] = q;
    }
    if (q >= 0) prev_[static_cast<std::size_t>(q)] = p;
}

std::int32_t BucketQueue::top() {
    while (top_ >= 0 && head_[static_cast<std::size_t>(top_)] < 0) --top_;
    return top_ >= 0 ? head_[static_cast<std::size_t>(top_)] : -1;
}

TabuSearch::TabuSearch(const Csr& g, const std::int8_t* x0, const TabuOptions& opt)
    : n_(g.n),
      indptr_(g.indptr, g.indptr + g.n + 1),
      indices_(g.indices, g.indices + g.indptr[g.n]),
      weights_(g.weights, g.weights + g.indptr[g.n]),
      opt_(opt),
      rng_(opt.seed),
      x_(x0, x0 + g.n),
      best_x_(x0, x0 + g.n) {
    const auto un = static_cast<std::size_t>(n_);
    gain_.assign(un, 0.0);
    prio_.assign(un, 0);
    for (auto& p : prio_) p = static_cast<std::uint32_t>(next_random() >> 32);
    tabu_until_.assign(un, 0);
    expiry_.assign(static_cast<std::size_t>(opt_.tenure_max + 1), {});
    // Integer weights (and a moderate weighted degree): every gain is an integer in [-D, D].
    double wdeg_max = 0.0;
    bool integral = true;
    for (std::int64_t i = 0; i < n_; ++i) {
        double d = 0.0;
        for (std::int64_t p = indptr_[static_cast<std::size_t>(i)]; p < indptr_[static_cast<std::size_t>(i) + 1]; ++p) {
            const double w = weights_[static_cast<std::size_t>(p)];
            integral = integral && (w == std::nearbyint(w));
            d += std::fabs(w);
        }
        wdeg_max = std::max(wdeg_max, d);
    }
    buckets_ = integral && wdeg_max <= static_cast<double>(kMaxBucketOffset);
    if (buckets_) {
        bfree_.reset(n_, static_cast<std::int64_t>(wdeg_max));
        btabu_.reset(n_, static_cast<std::int64_t>(wdeg_max));
    } else {
        free_.reset(n_);
        tabu_.reset(n_);
    }
    rebuild_state();
    start_cut_ = best_cut_ = cut_;
}

// splitmix64 (Steele, Lea & Flood 2014): a deterministic stream from the seed.
std::uint64_t TabuSearch::next_random() {
    std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Gains and the cut of x_ from scratch, no node tabu, both trees rebuilt.
void TabuSearch::rebuild_state() {
    double cut = 0.0;
    for (std::int64_t i = 0; i < n_; ++i) {
        double s = 0.0;
        for (std::int64_t p = indptr_[static_cast<std::size_t>(i)]; p < indptr_[static_cast<std::size_t>(i) + 1]; ++p) {
            const std::int32_t j = indices_[static_cast<std::size_t>(p)];
            const double w = weights_[static_cast<std::size_t>(p)];
            s += w * x_[static_cast<std::size_t>(j)];
            if (j > i && x_[static_cast<std::size_t>(j)] != x_[static_cast<std::size_t>(i)]) cut += w;
        }
        gain_[static_cast<std::size_t>(i)] = x_[static_cast<std::size_t>(i)] * s;
        tabu_until_[static_cast<std::size_t>(i)] = 0;
    }
    for (auto& slot : expiry_) slot.clear();
    if (buckets_) {
        bfree_.clear();
        btabu_.clear();
        for (std::int64_t i = n_ - 1; i >= 0; --i) bfree_.insert(static_cast<std::int32_t>(i), key(static_cast<std::int32_t>(i)), false);
    } else {
        for (std::int64_t i = 0; i < n_; ++i) {
            free_.set_leaf(i, true);
            tabu_.set_leaf(i, false);
        }
        const auto cmp = [this](std::int32_t a, std::int32_t b) { return better(a, b); };
        free_.rebuild(cmp);
        tabu_.rebuild(cmp);
    }
    cut_ = cut;
}

void TabuSearch::add(std::int32_t i, bool tabu) {
    if (buckets_) {
        (tabu ? btabu_ : bfree_).insert(i, key(i), (next_random() >> 63) != 0);
    } else {
        (tabu ? tabu_ : free_).set(i, true, [this](std::int32_t a, std::int32_t b) { return better(a, b); });
    }
}

void TabuSearch::remove(std::int32_t i, bool tabu, double old_gain) {
    if (buckets_) {
        (tabu ? btabu_ : bfree_).erase(i, static_cast<std::int64_t>(old_gain));
    } else {
        (tabu ? tabu_ : free_).set(i, false, [this](std::int32_t a, std::int32_t b) { return better(a, b); });
    }
}

void TabuSearch::rekey(std::int32_t i, bool tabu, double old_gain) {
    if (buckets_) {
        BucketQueue& q = tabu ? btabu_ : bfree_;
        q.erase(i, static_cast<std::int64_t>(old_gain));
        q.insert(i, key(i), (next_random() >> 63) != 0);
    } else {
        (tabu ? tabu_ : free_).set(i, true, [this](std::int32_t a, std::int32_t b) { return better(a, b); });
    }
}

std::int32_t TabuSearch::best_free() { return buckets_ ? bfree_.top() : free_.top(); }
std::int32_t TabuSearch::best_tabu() { return buckets_ ? btabu_.top() : tabu_.top(); }

void TabuSearch::flip(std::int32_t i) {
    const auto ui = static_cast<std::size_t>(i);
    const double gi = gain_[ui];
    if (at_best_ && !(cut_ + gi > best_cut_ + opt_.tol)) {  // leaving the best cut: keep a copy
        best_x_ = x_;
        at_best_ = false;
    }
    remove(i, tabu_until_[ui] > iter_, gi);
    x_[ui] = static_cast<std::int8_t>(-x_[ui]);
    gain_[ui] = -gi;
    cut_ += gi;
    prio_[ui] = static_cast<std::uint32_t>(next_random() >> 32);
    const double xi = x_[ui];
    for (std::int64_t p = indptr_[ui]; p < indptr_[ui + 1]; ++p) {
        const std::int32_t j = indices_[static_cast<std::size_t>(p)];
        const auto uj = static_cast<std::size_t>(j);
        const double old = gain_[uj];
        gain_[uj] = old + 2.0 * weights_[static_cast<std::size_t>(p)] * x_[uj] * xi;
        rekey(j, tabu_until_[uj] > iter_, old);
    }
    // i becomes tabu for a random tenure (counted from the next move)
    const std::int64_t span = opt_.tenure_max - opt_.tenure_min + 1;
    const std::int64_t tenure = opt_.tenure_min + static_cast<std::int64_t>(next_random() % static_cast<std::uint64_t>(span));
    const std::int64_t until = iter_ + 1 + tenure;
    tabu_until_[ui] = until;
    expiry_[static_cast<std::size_t>(until % static_cast<std::int64_t>(expiry_.size()))].push_back(i);
    add(i, true);
}

// Nodes whose tenure ends at the current move leave the tabu set.
void TabuSearch::release_expired() {
    auto& slot = expiry_[static_cast<std::size_t>(iter_ % static_cast<std::int64_t>(expiry_.size()))];
    if (slot.empty()) return;
    for (const std::int32_t i : slot) {
        if (tabu_until_[static_cast<std::size_t>(i)] != iter_) continue;  // re-flipped since: a later slot holds it
        remove(i, true, gain_[static_cast<std::size_t>(i)]);
        add(i, false);
    }
    slot.clear();
}

// Back to the best cut, then `perturb` flips of distinct random nodes; the tabu list is emptied.
void TabuSearch::restart() {
    if (at_best_) {
        best_x_ = x_;
    } else {
        x_ = best_x_;
    }
    const std::int64_t k = std::min(opt_.perturb, n_);
    // partial Fisher-Yates over a scratch permutation: k distinct nodes
    std::vector<std::int32_t> perm(static_cast<std::size_t>(n_));
    for (std::int64_t i = 0; i < n_; ++i) perm[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i);
    for (std::int64_t t = 0; t < k; ++t) {
        const std::int64_t r = t + static_cast<std::int64_t>(next_random() % static_cast<std::uint64_t>(n_ - t));
        std::swap(perm[static_cast<std::size_t>(t)], perm[static_cast<std::size_t>(r)]);
        const auto u = static_cast<std::size_t>(perm[static_cast<std::size_t>(t)]);
        x_[u] = static_cast<std::int8_t>(-x_[u]);
    }
    rebuild_state();
    at_best_ = (k == 0);
    last_improvement_ = iter_;
    ++restarts_;
}

void TabuSearch::run(std::int64_t moves) {
    if (n_ == 0) {
        iter_ += moves;
        return;
    }
    for (std::int64_t t = 0; t < moves; ++t) {
        if (iter_ - last_improvement_ >= opt_.stall) restart();
        release_expired();
        std::int32_t i = best_free();
        const std::int32_t a = best_tabu();
        if (a >= 0 && (i < 0 || (cut_ + gain_[static_cast<std::size_t>(a)] > best_cut_ + opt_.tol && better(a, i)))) {
            i = a;  // aspiration (or every node is tabu)
        }
        flip(i);
        ++iter_;
        if (cut_ > best_cut_ + opt_.tol) {
            best_cut_ = cut_;
            at_best_ = true;
            last_improvement_ = iter_;
            best_move_ = iter_;
        }
    }
}

}  // namespace derand
