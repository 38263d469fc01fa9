// Goemans-Williamson random-hyperplane rounding of a factor V (n x r).
// Pure C++; the bindings are in bind_rounding.cpp.
#pragma once

#include <cstdint>

#include "graph.hpp"

namespace derand {

// Cut values of the hyperplane roundings x = sign(V z_h) for the nz rows z_h of
// Z (nz x r, row-major) into out[nz]. sign(0) = +1. Hyperplanes are handled in
// blocks of 8 (one pass over V per block) spread over threads with a static
// schedule; each hyperplane's cut is summed over edges in order, so out does
// not depend on `threads`.
void hyperplane_cuts(const EdgeList& g, const double* V, int r, const double* Z, std::int64_t nz, int threads,
                     double* out);

// x = sign(V z) (+-1, sign(0) = +1), with the same dot-product order as
// hyperplane_cuts (so the partition matches the cut it reported).
void hyperplane_partition(std::int64_t n, const double* V, int r, const double* z, std::int8_t* x);

// sum_e w_e arccos(<v_u, v_v> / (|v_u| |v_v|)) / pi: the expected cut of GW
// rounding (Goemans & Williamson 1995). Fixed-order blocked sum.
double gw_expected_cut(const EdgeList& g, const double* V, int r, int threads);

}  // namespace derand
