// Python access to the cut tools (cut.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "bind_graph.hpp"
#include "cut.hpp"

namespace py = pybind11;
using derand::GraphView;
using derand::I8Array;

void bind_cut(py::module_& m) {
    m.def(
        "cut_values",
        [](const GraphView& graph, const I8Array& X, int threads) {
            const derand::EdgeList g = graph.edges();
            derand::require_ndim(X, 2, "X");
            if (X.shape(1) != g.n) {
                throw std::invalid_argument("X must have n = " + std::to_string(g.n) + " columns, got " +
                                            std::to_string(X.shape(1)));
            }
            derand::require_pm1(X, "X");
            derand::require_threads(threads);
            const std::int64_t k = X.shape(0);
            py::array_t<double> out(k);
            double* po = out.mutable_data();
            {
                py::gil_scoped_release release;
                derand::cut_values(g, X.data(), k, threads, po);
            }
            return out;
        },
        py::arg("graph"), py::arg("X"), py::arg("threads"),
        "Cut values of the +-1 rows of X (k x n); rows in parallel, thread-count independent.");
    m.def(
        "local_search",
        [](const GraphView& graph, const I8Array& x, std::int64_t max_moves, double tol) {
            const derand::Csr g = graph.csr();
            derand::require_partition(x, g.n, "x");
            if (max_moves < 0) throw std::invalid_argument("max_moves must be >= 0");
            if (!(tol >= 0.0) || !std::isfinite(tol)) throw std::invalid_argument("tol must be finite and >= 0");
            py::array_t<std::int8_t> out(g.n);
            std::int8_t* px = out.mutable_data();
            std::copy(x.data(), x.data() + g.n, px);
            derand::LocalSearchResult r;
            {
                py::gil_scoped_release release;
                r = derand::local_search(g, px, max_moves, tol);
            }
            return py::make_tuple(out, r.gain, r.moves, r.converged);
        },
        py::arg("graph"), py::arg("x"), py::arg("max_moves"), py::arg("tol"),
        "1-flip local search: (x, gain, moves, converged); never lowers the cut.");
}
