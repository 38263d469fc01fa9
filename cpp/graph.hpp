// Read-only views of a weighted undirected graph, shared by the MAXCUT kernels.
// Pure C++ (no Python): the kernels trust them (no checks). From Python they
// come from a GraphView (bind_graph.hpp), which checked the graph once and owns
// the memory; the kernel tests build them from their own arrays.
#pragma once

#include <cstdint>

namespace derand {

// Symmetric CSR adjacency: the neighbours of node i are
// indices[indptr[i] .. indptr[i+1]) with weights weights[...]; every
// undirected edge {i, j} appears twice (i -> j and j -> i), no self-loops.
struct Csr {
    std::int64_t n = 0;
    const std::int64_t* indptr = nullptr;
    const std::int32_t* indices = nullptr;
    const double* weights = nullptr;
};

// Each undirected edge once: u[e] < v[e], weight w[e].
struct EdgeList {
    std::int64_t n = 0;
    std::int64_t m = 0;
    const std::int32_t* u = nullptr;
    const std::int32_t* v = nullptr;
    const double* w = nullptr;
};

// Sums in a fixed order whatever the thread count: items are grouped in
// blocks of kSumBlock, each block is summed sequentially into its own slot,
// and the slots are summed sequentially afterwards.
inline constexpr std::int64_t kSumBlock = 4096;

}  // namespace derand
