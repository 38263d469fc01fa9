// Python adapter of the bivariate normal CDF (bvn.hpp) and the exact
// expected-cut kernel (exact_cut.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "bind_graph.hpp"
#include "bvn.hpp"
#include "exact_cut.hpp"

namespace py = pybind11;
using derand::DArray;

namespace {

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

std::unique_ptr<derand::ExactCut> make_exact_cut(const derand::GraphView& graph, const DArray& V, int threads) {
    const derand::EdgeList g = graph.edges();
    const int r = derand::require_factor(V, g.n, "V");
    derand::require_finite(V, "V");
    derand::require_threads(threads);
    py::gil_scoped_release release;
    return std::make_unique<derand::ExactCut>(g, V.data(), r, threads);
}

py::tuple evaluate(derand::ExactCut& self, const DArray& mu, double s, bool value, bool grad, int threads) {
    derand::require_ndim(mu, 1, "mu");
    if (mu.shape(0) != self.n()) {
        throw std::invalid_argument("mu must have length n = " + std::to_string(self.n()) + ", got " +
                                    std::to_string(mu.shape(0)));
    }
    derand::require_finite(mu, "mu");
    derand::require_positive(s, "s");
    derand::require_threads(threads);
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

// A float64, C-contiguous, writeable array of shape (n,) or (runs, n), updated in place (no
// conversion copy); returns its data and sets runs.
using OutArray = py::array_t<double, py::array::c_style>;

double* inplace(OutArray& a, std::int64_t n, std::int64_t& runs, const char* name) {
    const bool ok = (a.ndim() == 1 && a.shape(0) == n) || (a.ndim() == 2 && a.shape(1) == n && a.shape(0) >= 1);
    if (!ok) throw std::invalid_argument(std::string(name) + " must have shape (" + std::to_string(n) +
                                         ",) or (runs, " + std::to_string(n) + ")");
    runs = a.ndim() == 1 ? 1 : a.shape(0);
    if (!a.writeable()) throw std::invalid_argument(std::string(name) + " must be writeable");
    derand::require_finite(a, name);
    return a.mutable_data();
}

void ascend(derand::ExactCut& self, OutArray& mu, OutArray& m1, OutArray& m2, OutArray& best_cut,
            py::array_t<std::int8_t, py::array::c_style>& best_x, const DArray& s, std::int64_t t0, double lr,
            double beta1, double beta2, double eps, std::int64_t check_every, int threads) {
    const std::int64_t n = self.n();
    std::int64_t runs = 0, runs1 = 0, runs2 = 0;
    double* pmu = inplace(mu, n, runs, "mu");
    double* pm1 = inplace(m1, n, runs1, "m1");
    double* pm2 = inplace(m2, n, runs2, "m2");
    if (runs1 != runs || runs2 != runs || m1.ndim() != mu.ndim() || m2.ndim() != mu.ndim()) {
        throw std::invalid_argument("m1 and m2 must have the shape of mu");
    }
    if (best_cut.ndim() != 1 || best_cut.shape(0) != runs || !best_cut.writeable()) {
        throw std::invalid_argument("best_cut must be a writeable array of shape (" + std::to_string(runs) + ",)");
    }
    if (best_x.ndim() != mu.ndim() || best_x.size() != runs * n || !best_x.writeable()) {
        throw std::invalid_argument("best_x must be a writeable int8 array of the shape of mu");
    }
    derand::require_ndim(s, 1, "s");
    const double* ps = s.data();
    for (py::ssize_t j = 0; j < s.size(); ++j) derand::require_positive(ps[j], "s");
    if (t0 < 0) throw std::invalid_argument("t0 must be >= 0, got " + std::to_string(t0));
    if (check_every < 1) throw std::invalid_argument("check_every must be >= 1, got " + std::to_string(check_every));
    derand::require_positive(lr, "lr");
    derand::require_positive(eps, "eps");
    for (double b : {beta1, beta2}) {
        if (!(b >= 0.0 && b < 1.0)) throw std::invalid_argument("betas must lie in [0, 1), got " + std::to_string(b));
    }
    derand::require_threads(threads);
    const derand::AscentState st{pmu, pm1, pm2, best_cut.mutable_data(), best_x.mutable_data(), runs};
    py::gil_scoped_release release;
    self.ascend(st, ps, s.size(), t0, derand::AdamParams{lr, beta1, beta2, eps}, check_every, threads);
}

double sign_cut(const derand::ExactCut& self, const DArray& mu) {
    derand::require_ndim(mu, 1, "mu");
    if (mu.shape(0) != self.n()) {
        throw std::invalid_argument("mu must have length n = " + std::to_string(self.n()) + ", got " +
                                    std::to_string(mu.shape(0)));
    }
    return self.sign_cut(mu.data());
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
        .def(py::init(&make_exact_cut), py::arg("graph"), py::arg("V"), py::arg("threads") = 1)
        .def("evaluate", &evaluate, py::arg("mu"), py::arg("s") = 1.0, py::arg("value") = true,
             py::arg("grad") = true, py::arg("threads") = 1,
             "Returns (value, grad_mu or None, d value/ds or None).")
        .def("ascend", &ascend, py::arg("mu").noconvert(), py::arg("m1").noconvert(), py::arg("m2").noconvert(),
             py::arg("best_cut").noconvert(), py::arg("best_x").noconvert(), py::arg("s"), py::arg("t0"),
             py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("check_every"),
             py::arg("threads") = 1,
             "len(s) Adam ascent steps on E[cut] over mu (step j at scale s[j], bias corrections from t0 + 1) "
             "for each row of mu, m1, m2 (float64, contiguous, shape (n,) or (runs, n): independent runs, "
             "one per thread), in place; after each step divisible by check_every the sign cut of a run "
             "replaces best_cut[run] and best_x[run] (int8 signs) when larger.")
        .def("sign_cut", &sign_cut, py::arg("mu"), "Cut weight of sgn(mu) (+1 at 0), summed in edge order.")
        .def_property_readonly("n", &derand::ExactCut::n)
        .def_property_readonly("m", &derand::ExactCut::m)
        .def_property_readonly("norms", [](const derand::ExactCut& self) { return to_array(self.norms()); })
        .def_property_readonly("rho", [](const derand::ExactCut& self) { return to_array(self.rho()); });
}
