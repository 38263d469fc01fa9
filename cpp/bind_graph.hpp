// Binding-side helpers of the MAXCUT kernels: graph views built from NumPy
// arrays after validation (std::invalid_argument -> ValueError naming the
// argument). Used by bind_cut.cpp, bind_sdp.cpp and bind_rounding.cpp.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "graph.hpp"

namespace derand {

using I64Array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
using I32Array = py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>;
using I8Array = py::array_t<std::int8_t, py::array::c_style | py::array::forcecast>;

// Symmetric CSR (indptr: n+1, indices/weights: nnz); checks sizes, ranges,
// monotone indptr, no self-loops and finite weights. Symmetry itself is the
// caller's contract (derand_fast.maxcut.Graph guarantees it).
inline Csr make_csr(const I64Array& indptr, const I32Array& indices, const DArray& weights) {
    require_ndim(indptr, 1, "indptr");
    require_ndim(indices, 1, "indices");
    require_ndim(weights, 1, "weights");
    if (indptr.size() < 1) throw std::invalid_argument("indptr must have n + 1 >= 1 entries, got 0");
    const std::int64_t n = indptr.size() - 1;
    const std::int64_t* ip = indptr.data();
    const std::int32_t* ix = indices.data();
    if (ip[0] != 0) throw std::invalid_argument("indptr[0] must be 0");
    if (ip[n] != indices.size() || indices.size() != weights.size()) {
        throw std::invalid_argument("indptr[-1], len(indices) and len(weights) must agree, got " +
                                    std::to_string(ip[n]) + ", " + std::to_string(indices.size()) + ", " +
                                    std::to_string(weights.size()));
    }
    for (std::int64_t i = 0; i < n; ++i) {
        if (ip[i + 1] < ip[i]) throw std::invalid_argument("indptr must be non-decreasing (at " + std::to_string(i) + ")");
        for (std::int64_t p = ip[i]; p < ip[i + 1]; ++p) {
            if (ix[p] < 0 || ix[p] >= n || ix[p] == i) {
                throw std::invalid_argument("indices[" + std::to_string(p) + "] = " + std::to_string(ix[p]) +
                                            " is out of range or a self-loop of node " + std::to_string(i));
            }
        }
    }
    require_finite(weights, "weights");
    return Csr{n, ip, ix, weights.data()};
}

// Edge list u[e] < v[e] < n with finite weights w[e].
inline EdgeList make_edges(std::int64_t n, const I32Array& u, const I32Array& v, const DArray& w) {
    if (n < 0) throw std::invalid_argument("n must be >= 0, got " + std::to_string(n));
    require_ndim(u, 1, "u");
    require_ndim(v, 1, "v");
    require_ndim(w, 1, "w");
    const std::int64_t m = w.size();
    if (u.size() != m || v.size() != m) {
        throw std::invalid_argument("u, v and w must have the same length, got " + std::to_string(u.size()) + ", " +
                                    std::to_string(v.size()) + ", " + std::to_string(m));
    }
    const std::int32_t* pu = u.data();
    const std::int32_t* pv = v.data();
    for (std::int64_t e = 0; e < m; ++e) {
        if (pu[e] < 0 || pu[e] >= pv[e] || pv[e] >= n) {
            throw std::invalid_argument("edge " + std::to_string(e) + " (" + std::to_string(pu[e]) + ", " +
                                        std::to_string(pv[e]) + ") must satisfy 0 <= u < v < n = " +
                                        std::to_string(n));
        }
    }
    require_finite(w, "w");
    return EdgeList{n, m, pu, pv, w.data()};
}

// Throws unless every entry of x is +1 or -1.
inline void require_pm1(const I8Array& x, const char* name) {
    const std::int8_t* p = x.data();
    for (py::ssize_t i = 0; i < x.size(); ++i) {
        if (p[i] != 1 && p[i] != -1) {
            throw std::invalid_argument(std::string(name) + " must contain only +1 and -1 (flat index " +
                                        std::to_string(i) + " is " + std::to_string(int(p[i])) + ")");
        }
    }
}

// x must be one +-1 label per node of a graph with n nodes.
inline void require_partition(const I8Array& x, std::int64_t n, const char* name) {
    require_ndim(x, 1, name);
    if (x.size() != n) {
        throw std::invalid_argument(std::string(name) + " must have n = " + std::to_string(n) + " entries, got " +
                                    std::to_string(x.size()));
    }
    require_pm1(x, name);
}

// V must be a finite (n, r) matrix with r >= 1.
inline int require_factor(const py::array& V, std::int64_t n, const char* name) {
    require_ndim(V, 2, name);
    if (V.shape(0) != n) {
        throw std::invalid_argument(std::string(name) + " must have n = " + std::to_string(n) + " rows, got " +
                                    std::to_string(V.shape(0)));
    }
    if (V.shape(1) < 1 || V.shape(1) > (1 << 20)) {
        throw std::invalid_argument(std::string(name) + " must have between 1 and 2^20 columns, got " +
                                    std::to_string(V.shape(1)));
    }
    return static_cast<int>(V.shape(1));
}

inline int require_threads(int threads) {
    if (threads < 1) throw std::invalid_argument("threads must be >= 1, got " + std::to_string(threads));
    return threads;
}

}  // namespace derand
