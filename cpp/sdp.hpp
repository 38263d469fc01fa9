// Low-rank MAXCUT SDP by the mixing method (Wang, Chang & Kolter 2017):
// block coordinate ascent on the Burer-Monteiro factor V (n x r, unit rows)
// of   max  sum_{edges} w_ij (1 - v_i . v_j) / 2.
// Pure C++; the bindings are in bind_sdp.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "graph.hpp"

namespace derand {

// A proper colouring of the graph, nodes listed class by class:
// nodes order[class_ptr[c] .. class_ptr[c+1]) share colour c.
struct Coloring {
    std::vector<std::int64_t> class_ptr;
    std::vector<std::int32_t> order;
    std::vector<std::int64_t> class_work;  // sum over the class of (degree + 2): work / r of one pass
};

// A colour class is updated in parallel only when its work (class_work * r
// multiply-adds) reaches this: below it, one thread is faster than the
// fork/join (and much faster on a loaded machine, where a thread that must
// wait for another can lose a whole scheduler time slice).
inline constexpr std::int64_t kParallelWork = std::int64_t{1} << 20;

// Greedy colouring in node order (smallest colour unused by the
// already-coloured neighbours); deterministic. Nodes of one class are
// pairwise non-adjacent, so their mixing updates commute.
Coloring greedy_coloring(const Csr& g);

// One node's update: v_i <- -normalize(sum_j w_ij v_j) (kept when that sum
// is ~0). Returns the objective increase 0.5 (|g| + v_i.g) >= 0 (cut units).
double mixing_update(const Csr& g, double* V, int r, std::int64_t i, double* buf);

struct SweepStats {
    std::int64_t sweeps = 0;     // full sweeps done
    double last_delta = 0.0;     // objective increase of the last sweep
    bool converged = false;      // last_delta < tol
};

// Up to max_sweeps sweeps over all nodes, colour class after colour class;
// within a class the nodes are updated in parallel (static schedule; classes
// smaller than kParallelWork sequentially). The
// iterates are the same for every thread count: they equal a sequential
// sweep in the order of `col.order`. Per-node increases go to slots[n] and are
// summed in node order. Stops when a sweep increases the objective by less
// than tol, or after time_budget seconds (checked between sweeps).
SweepStats mixing_sweeps(const Csr& g, double* V, int r, const Coloring& col, std::int64_t max_sweeps,
                         double tol, double time_budget, int threads, double* slots);

// sum_{edges} w_ij (1 - v_i . v_j) / 2, summed in a fixed order (kSumBlock
// node blocks), parallel over blocks.
double sdp_objective(const Csr& g, const double* V, int r, int threads);

}  // namespace derand
