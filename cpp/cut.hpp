// Cut tools for MAXCUT: cut values of +-1 vectors and 1-flip local search.
// Pure C++; the bindings are in bind_cut.cpp.
#pragma once

#include <cstdint>

#include "graph.hpp"

namespace derand {

// cut(x) = sum over edges e of w_e [x_u != x_v], edges summed in order.
double cut_value(const EdgeList& g, const std::int8_t* x);

// Cut values of the k rows of X (k x n, row-major) into out[k]; rows run in
// parallel (static schedule), each row summed sequentially: the result does
// not depend on `threads`.
void cut_values(const EdgeList& g, const std::int8_t* X, std::int64_t k, int threads, double* out);

struct LocalSearchResult {
    double gain = 0.0;          // total cut increase
    std::int64_t moves = 0;     // number of flips
    bool converged = false;     // true: x is a 1-flip local optimum
};

// 1-flip local search from x (+-1, modified in place). Keeps the gains
// g_i = x_i sum_j w_ij x_j (cut increase if i flips) up to date in O(deg) per
// flip, and flips nodes taken from a FIFO queue of nodes with g_i > tol, in a
// fixed order (deterministic). Every flip raises the cut by more than tol,
// so the cut never decreases and the search terminates; it stops early after
// max_moves flips (converged = false).
LocalSearchResult local_search(const Csr& g, std::int8_t* x, std::int64_t max_moves, double tol);

}  // namespace derand
