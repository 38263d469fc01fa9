// Python adapter of the bivariate normal CDF (bvn.hpp) and the exact
// expected-cut kernel (exact_cut.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "bvn.hpp"
#include "common.hpp"
#include "exact_cut.hpp"

namespace py = pybind11;
using derand::DArray;
using IArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

namespace {

int check_threads(int threads) {
    if (threads < 1) throw std::invalid_argument("threads must be >= 1, got " + std::to_string(threads));
    return threads;
}

py::array_t<double> bvn_cdf_array(const DArray& a, const DArray& b, const DArray& rho) {
    derand::require_ndim(a, 1, "a");
    derand::require_ndim(b, 1, "b");
    derand::require_ndim(rho, 1, "rho");
    const py::ssize_t n = a.size();
    if (b.size() != n || rho.size() != n) {
        throw std::invalid_argument("a, b and rho must have the same length");
    }
    const double* pr = rho.data();
    for (py::ssize_t k = 0; k < n; ++k) {
        if (!(pr[k] >= -1.0 && pr[k] <= 1.0)) {
            throw std::invalid_argument("rho must lie in [-1, 1] (first violation at index " + std::to_string(k) +
                                        ")");
        }
    }
    py::array_t<double> out(n);
    const double* pa = a.data();
    const double* pb = b.data();
    double* po = out.mutable_data();
    {
        py::gil_scoped_release release;
        for (py::ssize_t k = 0; k < n; ++k) po[k] = derand::bvn_cdf(pa[k], pb[k], pr[k]);
    }
    return out;
}

std::unique_ptr<derand::ExactCut> make_exact_cut(const DArray& V, const IArray& edges, const DArray& weights,
                                                 int threads) {
    derand::require_ndim(V, 2, "V");
    derand::require_ndim(edges, 2, "edges");
    derand::require_ndim(weights, 1, "weights");
    derand::require_finite(V, "V");
    derand::require_finite(weights, "weights");
    check_threads(threads);
    if (edges.shape(1) != 2) throw std::invalid_argument("edges must have shape (m, 2)");
    if (weights.shape(0) != edges.shape(0)) {
        throw std::invalid_argument("weights must have one entry per edge: got " +
                                    std::to_string(weights.shape(0)) + " for " + std::to_string(edges.shape(0)) +
                                    " edges");
    }
    const std::int64_t n = V.shape(0), r = V.shape(1), m = edges.shape(0);
    std::vector<std::int64_t> ei(m), ej(m);
    const std::int64_t* pe = edges.data();
    for (std::int64_t k = 0; k < m; ++k) {
        ei[k] = pe[2 * k];
        ej[k] = pe[2 * k + 1];
    }
    py::gil_scoped_release release;
    return std::make_unique<derand::ExactCut>(V.data(), n, r, ei.data(), ej.data(), weights.data(), m, threads);
}

py::tuple evaluate(derand::ExactCut& self, const DArray& mu, double s, bool value, bool grad, int threads) {
    derand::require_ndim(mu, 1, "mu");
    if (mu.shape(0) != self.n()) {
        throw std::invalid_argument("mu must have length n = " + std::to_string(self.n()) + ", got " +
                                    std::to_string(mu.shape(0)));
    }
    derand::require_finite(mu, "mu");
    derand::require_positive(s, "s");
    check_threads(threads);
    py::array_t<double> g(grad ? self.n() : 0);
    double* pg = grad ? g.mutable_data() : nullptr;
    double d_ds = 0.0;
    double v;
    {
        py::gil_scoped_release release;
        v = self.evaluate(mu.data(), s, value, pg, grad ? &d_ds : nullptr, threads);
    }
    if (!grad) return py::make_tuple(v, py::none(), py::none());
    return py::make_tuple(v, g, d_ds);
}

py::array_t<double> to_array(const std::vector<double>& v) {
    py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
    std::copy(v.begin(), v.end(), out.mutable_data());
    return out;
}

}  // namespace

void bind_exact(py::module_& m) {
    m.def("bvn_cdf", &bvn_cdf_array, py::arg("a"), py::arg("b"), py::arg("rho"),
          "Bivariate standard normal CDF P(X <= a, Y <= b; rho), elementwise over 1-D arrays.");
    py::class_<derand::ExactCut>(m, "ExactCut",
                                 "Exact expected cut of x_i = sgn(s v_i . z + mu_i) with closed-form gradients.")
        .def(py::init(&make_exact_cut), py::arg("V"), py::arg("edges"), py::arg("weights"), py::arg("threads") = 1)
        .def("evaluate", &evaluate, py::arg("mu"), py::arg("s") = 1.0, py::arg("value") = true,
             py::arg("grad") = true, py::arg("threads") = 1,
             "Returns (value, grad_mu or None, d value/ds or None).")
        .def_property_readonly("n", &derand::ExactCut::n)
        .def_property_readonly("m", &derand::ExactCut::m)
        .def_property_readonly("norms", [](const derand::ExactCut& self) { return to_array(self.norms()); })
        .def_property_readonly("rho", [](const derand::ExactCut& self) { return to_array(self.rho()); });
}
