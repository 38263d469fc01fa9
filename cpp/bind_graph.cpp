// Python access to the edge-text parser (graph_io.hpp) and the validated graph
// view the MAXCUT kernels take (GraphView, bind_graph.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "bind_graph.hpp"
#include "graph_io.hpp"

namespace py = pybind11;

namespace derand {

namespace {

std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// A copy of the 1-D integer array a as T; another integer dtype is range-checked before it is narrowed.
template <class T>
std::vector<T> integer_copy(const py::array& a, const char* name) {
    require_ndim(a, 1, name);
    const char kind = a.dtype().kind();
    if (kind != 'i' && kind != 'u') {
        throw py::type_error(std::string(name) + " must be an integer array, got dtype " + dtype_name(a));
    }
    std::vector<T> out(static_cast<std::size_t>(a.size()));
    if (py::isinstance<py::array_t<T>>(a)) {
        const auto src = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
        std::copy(src.data(), src.data() + src.size(), out.begin());
        return out;
    }
    const auto src = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!src) throw py::error_already_set();
    const std::int64_t* p = src.data();
    for (py::ssize_t i = 0; i < src.size(); ++i) {
        if (p[i] < std::numeric_limits<T>::min() || p[i] > std::numeric_limits<T>::max()) {
            throw std::invalid_argument(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(p[i]) +
                                        " does not fit the index type");
        }
        out[static_cast<std::size_t>(i)] = static_cast<T>(p[i]);
    }
    return out;
}

// A copy of the 1-D real array a as float64; every entry must be finite.
std::vector<double> finite_copy(const py::array& a, const char* name) {
    require_ndim(a, 1, name);
    const char kind = a.dtype().kind();
    if (kind != 'i' && kind != 'u' && kind != 'f') {
        throw py::type_error(std::string(name) + " must be a real array, got dtype " + dtype_name(a));
    }
    const DArray src = DArray::ensure(a);
    if (!src) throw py::error_already_set();
    require_finite(src, name);
    return std::vector<double>(src.data(), src.data() + src.size());
}

std::string pair(std::int64_t a, std::int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; }

// A read-only NumPy array over the view's memory; its base is the view, so NumPy
// refuses to make it writeable again (the base exposes no writeable buffer).
template <class T>
py::array_t<T> readonly_array(py::handle owner, const std::vector<T>& vec) {
    static const T empty{};
    py::array_t<T> a(static_cast<py::ssize_t>(vec.size()), vec.empty() ? &empty : vec.data(), owner);
    a.attr("setflags")(py::arg("write") = false);
    return a;
}

// The property getter of one of the view's arrays.
template <class T>
auto array_property(const std::vector<T>& (GraphView::*get)() const) {
    return [get](py::handle self) { return readonly_array(self, (self.cast<const GraphView&>().*get)()); };
}

}  // namespace

GraphView::GraphView(std::int64_t n, const py::array& u, const py::array& v, const py::array& w,
                     const py::array& indptr, const py::array& indices, const py::array& data) {
    if (n < 0 || n >= std::numeric_limits<std::int32_t>::max()) {
        throw std::invalid_argument("n must be in [0, 2^31 - 1) (node labels are int32), got " + std::to_string(n));
    }
    n_ = n;
    u_ = integer_copy<std::int32_t>(u, "u");
    v_ = integer_copy<std::int32_t>(v, "v");
    w_ = finite_copy(w, "weights");
    const std::int64_t m = this->m();
    if (static_cast<std::int64_t>(u_.size()) != m || static_cast<std::int64_t>(v_.size()) != m) {
        throw std::invalid_argument("u, v and weights must have the same length, got " + std::to_string(u_.size()) +
                                    ", " + std::to_string(v_.size()) + ", " + std::to_string(m));
    }
    for (std::int64_t e = 0; e < m; ++e) {
        const std::int64_t a = u_[e], b = v_[e];
        if (a < 0 || a >= b || b >= n) {
            throw std::invalid_argument("edge " + std::to_string(e) + " " + pair(a, b) +
                                        " must satisfy 0 <= u < v < n = " + std::to_string(n));
        }
        if (e > 0 && (u_[e - 1] > a || (u_[e - 1] == a && v_[e - 1] >= b))) {
            throw std::invalid_argument("edges must be sorted by (u, v) without duplicates: edge " +
                                        std::to_string(e - 1) + " " + pair(u_[e - 1], v_[e - 1]) +
                                        " is not before edge " + std::to_string(e) + " " + pair(a, b));
        }
    }
    indptr_ = integer_copy<std::int64_t>(indptr, "indptr");
    if (static_cast<std::int64_t>(indptr_.size()) != n + 1) {
        throw std::invalid_argument("indptr must have n + 1 = " + std::to_string(n + 1) + " entries, got " +
                                    std::to_string(indptr_.size()));
    }
    if (indptr_[0] != 0) throw std::invalid_argument("indptr[0] must be 0, got " + std::to_string(indptr_[0]));
    for (std::int64_t i = 0; i < n; ++i) {
        if (indptr_[i + 1] < indptr_[i]) {
            throw std::invalid_argument("indptr must be non-decreasing: indptr[" + std::to_string(i + 1) + "] = " +
                                        std::to_string(indptr_[i + 1]) + " < indptr[" + std::to_string(i) +
                                        "] = " + std::to_string(indptr_[i]));
        }
    }
    if (indptr_[n] != 2 * m) {
        throw std::invalid_argument("indptr[n] must be 2 m = " + std::to_string(2 * m) +
                                    " (both directions of every edge), got " + std::to_string(indptr_[n]));
    }
    indices_ = integer_copy<std::int32_t>(indices, "indices");
    data_ = finite_copy(data, "data");
    if (static_cast<std::int64_t>(indices_.size()) != 2 * m || static_cast<std::int64_t>(data_.size()) != 2 * m) {
        throw std::invalid_argument("indices and data must have 2 m = " + std::to_string(2 * m) +
                                    " entries, got " + std::to_string(indices_.size()) + " and " +
                                    std::to_string(data_.size()));
    }
    // The CSR must be the edge list's symmetrization with sorted rows: walking the edges in
    // (u, v) order fills every row in increasing column order (row i first receives its
    // neighbours j < i, from the edges (j, i), then those j > i, from the edges (i, j)).
    std::vector<std::int64_t> next(indptr_.begin(), indptr_.end() - 1);
    const auto place = [&](std::int64_t e, std::int32_t row, std::int32_t col) {
        const std::int64_t p = next[static_cast<std::size_t>(row)]++;
        if (p < indptr_[row + 1] && indices_[p] == col && data_[p] == w_[e]) return;
        std::string found = p < indptr_[row + 1]
                                ? "found indices[" + std::to_string(p) + "] = " + std::to_string(indices_[p]) +
                                      ", data[" + std::to_string(p) + "] = " + std::to_string(data_[p])
                                : "row " + std::to_string(row) + " has only " +
                                      std::to_string(indptr_[row + 1] - indptr_[row]) + " entries";
        throw std::invalid_argument("indptr, indices and data are not the symmetric CSR of the edge list (rows sorted "
                                    "by column): edge " + std::to_string(e) + " " + pair(u_[e], v_[e]) +
                                    " of weight " + std::to_string(w_[e]) + " belongs at position " +
                                    std::to_string(p) + " of row " + std::to_string(row) + ", " + found);
    };
    for (std::int64_t e = 0; e < m; ++e) {
        place(e, u_[e], v_[e]);
        place(e, v_[e], u_[e]);
    }
}

}  // namespace derand

namespace {

template <class T>
py::array_t<T> to_array(std::vector<T>&& v) {
    auto* heap = new std::vector<T>(std::move(v));
    py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>(static_cast<py::ssize_t>(heap->size()), heap->data(), owner);
}

}  // namespace

void bind_graph(py::module_& m) {
    using derand::GraphView;
    using derand::array_property;
    py::class_<GraphView>(m, "GraphView",
                          "A MAXCUT graph validated once (edge list and symmetric CSR), in memory it owns; "
                          "every graph kernel takes it. Its arrays are read-only views of that memory.")
        .def(py::init<std::int64_t, const py::array&, const py::array&, const py::array&, const py::array&,
                      const py::array&, const py::array&>(),
             py::arg("n"), py::arg("u"), py::arg("v"), py::arg("weights"), py::arg("indptr"), py::arg("indices"),
             py::arg("data"))
        .def_property_readonly("n", &GraphView::n)
        .def_property_readonly("m", &GraphView::m)
        .def_property_readonly("u", array_property(&GraphView::u))
        .def_property_readonly("v", array_property(&GraphView::v))
        .def_property_readonly("weights", array_property(&GraphView::w))
        .def_property_readonly("indptr", array_property(&GraphView::indptr))
        .def_property_readonly("indices", array_property(&GraphView::indices))
        .def_property_readonly("data", array_property(&GraphView::data))
        .def("__repr__", [](const GraphView& g) {
            return "GraphView(n=" + std::to_string(g.n()) + ", m=" + std::to_string(g.m()) + ")";
        });
    m.def(
        "parse_edge_text",
        [](const py::bytes& data, bool header) {
            std::string_view view = data;  // no copy
            derand::ParsedEdges pe;
            try {
                py::gil_scoped_release release;
                pe = derand::parse_edge_text(view.data(), view.size(), header);
            } catch (const derand::ParseError& e) {
                throw std::invalid_argument(e.what());
            }
            py::dict out;
            out["has_header"] = pe.has_header;
            out["n"] = pe.header_n;
            out["m"] = pe.header_m;
            out["header_line"] = pe.header_line;
            out["columns"] = pe.columns;
            out["i"] = to_array(std::move(pe.i));
            out["j"] = to_array(std::move(pe.j));
            out["w"] = pe.w.empty() ? py::object(py::none()) : py::object(to_array(std::move(pe.w)));
            out["line"] = to_array(std::move(pe.line));
            return out;
        },
        py::arg("data"), py::arg("header"),
        "Parse edge text ('n m' header if header=True, then 'i j [w]' lines). Errors name the line.");
}
