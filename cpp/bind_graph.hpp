// Binding-side helpers of the MAXCUT kernels: the validated GraphView every
// graph kernel takes, and per-call argument checks (std::invalid_argument ->
// ValueError naming the argument). Used by every bind_*.cpp of a graph kernel.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "graph.hpp"

namespace derand {

using I8Array = py::array_t<std::int8_t, py::array::c_style | py::array::forcecast>;

// The graph every MAXCUT kernel receives: derand_fast.maxcut.Graph's arrays,
// validated once when the view is built and copied into memory the view owns.
// Python sees that memory only through read-only NumPy arrays whose base is the
// view (NumPy refuses to make them writeable again), so the validated graph
// cannot change behind the kernels' backs, and the kernels take it without
// re-checking it: O(1) per call instead of an O(m) validation.
//
// The contract checked at construction (std::invalid_argument -> ValueError
// naming the array; a non-numeric dtype -> TypeError):
//   0 <= n < 2^31 - 1; every array 1-dimensional;
//   u, v, w of one length m: 0 <= u[e] < v[e] < n, edges strictly increasing
//     in (u, v) (no duplicates), w finite;
//   indptr of length n + 1, indptr[0] = 0, non-decreasing, indptr[n] = 2 m;
//   indices, data of length 2 m: the symmetric CSR of exactly that edge list,
//     each row sorted by column (edge e is (v[e], w[e]) in row u[e] and
//     (u[e], w[e]) in row v[e], equal weights), hence no self-loops.
// Checked in one O(n + m) pass; integer arrays of another dtype are range-
// checked before they are narrowed.
class GraphView {
  public:
    GraphView(std::int64_t n, const py::array& u, const py::array& v, const py::array& w, const py::array& indptr,
              const py::array& indices, const py::array& data);

    std::int64_t n() const { return n_; }
    std::int64_t m() const { return static_cast<std::int64_t>(w_.size()); }
    Csr csr() const { return Csr{n_, indptr_.data(), indices_.data(), data_.data()}; }
    EdgeList edges() const { return EdgeList{n_, m(), u_.data(), v_.data(), w_.data()}; }

    const std::vector<std::int32_t>& u() const { return u_; }
    const std::vector<std::int32_t>& v() const { return v_; }
    const std::vector<double>& w() const { return w_; }
    const std::vector<std::int64_t>& indptr() const { return indptr_; }
    const std::vector<std::int32_t>& indices() const { return indices_; }
    const std::vector<double>& data() const { return data_; }

  private:
    std::int64_t n_ = 0;
    std::vector<std::int32_t> u_, v_, indices_;
    std::vector<double> w_, data_;
    std::vector<std::int64_t> indptr_;
};

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
