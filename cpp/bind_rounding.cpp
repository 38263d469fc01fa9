// Python access to Goemans-Williamson rounding (rounding.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bind_graph.hpp"
#include "rounding.hpp"

namespace py = pybind11;
using derand::DArray;
using derand::GraphView;

void bind_rounding(py::module_& m) {
    m.def(
        "hyperplane_cuts",
        [](const GraphView& graph, const DArray& V, const DArray& Z, int threads) {
            const derand::EdgeList g = graph.edges();
            const int r = derand::require_factor(V, g.n, "V");
            derand::require_ndim(Z, 2, "Z");
            if (Z.shape(1) != r) {
                throw std::invalid_argument("Z must have r = " + std::to_string(r) + " columns like V, got " +
                                            std::to_string(Z.shape(1)));
            }
            derand::require_finite(V, "V");
            derand::require_finite(Z, "Z");
            derand::require_threads(threads);
            const std::int64_t nz = Z.shape(0);
            py::array_t<double> out(nz);
            double* po = out.mutable_data();
            {
                py::gil_scoped_release release;
                derand::hyperplane_cuts(g, V.data(), r, Z.data(), nz, threads, po);
            }
            return out;
        },
        py::arg("graph"), py::arg("V"), py::arg("Z"), py::arg("threads"),
        "Cut values of sign(V z) for the rows z of Z; thread-count independent.");
    m.def(
        "hyperplane_partition",
        [](const DArray& V, const DArray& z) {
            derand::require_ndim(V, 2, "V");
            const int r = derand::require_factor(V, V.shape(0), "V");
            derand::require_ndim(z, 1, "z");
            if (z.size() != r) {
                throw std::invalid_argument("z must have r = " + std::to_string(r) + " entries, got " +
                                            std::to_string(z.size()));
            }
            derand::require_finite(V, "V");
            derand::require_finite(z, "z");
            const std::int64_t n = V.shape(0);
            py::array_t<std::int8_t> x(n);
            std::int8_t* px = x.mutable_data();
            {
                py::gil_scoped_release release;
                derand::hyperplane_partition(n, V.data(), r, z.data(), px);
            }
            return x;
        },
        py::arg("V"), py::arg("z"), "x = sign(V z) as int8 (+-1, sign(0) = +1).");
    m.def(
        "gw_expected_cut",
        [](const GraphView& graph, const DArray& V, int threads) {
            const derand::EdgeList g = graph.edges();
            const int r = derand::require_factor(V, g.n, "V");
            derand::require_finite(V, "V");
            derand::require_threads(threads);
            py::gil_scoped_release release;
            return derand::gw_expected_cut(g, V.data(), r, threads);
        },
        py::arg("graph"), py::arg("V"), py::arg("threads"),
        "Expected GW cut sum_e w_e arccos(cos angle(v_u, v_v)) / pi.");
}
