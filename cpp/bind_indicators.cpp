// Vectorized Python access to the C++ smoothed indicators (indicators.hpp).
// The package's public, Numba-compiled versions live in derand_fast.indicators;
// these exist so the C++ kernels' copies are tested against them.
#include <pybind11/pybind11.h>

#include <tuple>
#include <vector>

#include "common.hpp"
#include "indicators.hpp"

namespace py = pybind11;
using derand::DArray;

namespace {

template <class F>
std::tuple<py::array_t<double>, py::array_t<double>, py::array_t<double>> map_d2(const DArray& x, const char* name,
                                                                               F&& fn) {
    derand::require_finite(x, name);
    const py::ssize_t n = x.size();
    std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
    py::array_t<double> f(shape), df(shape), d2f(shape);
    const double* px = x.data();
    double* pf = f.mutable_data();
    double* pd = df.mutable_data();
    double* p2 = d2f.mutable_data();
    {
        py::gil_scoped_release release;
        for (py::ssize_t i = 0; i < n; ++i) {
            const derand::D2 r = fn(px[i]);
            pf[i] = r.f;
            pd[i] = r.df;
            p2[i] = r.d2f;
        }
    }
    return {f, df, d2f};
}

}  // namespace

void bind_indicators(py::module_& m) {
    m.def(
        "step_eps",
        [](const DArray& x, double eps) {
            derand::require_positive(eps, "eps");
            return map_d2(x, "x", [eps](double v) { return derand::step_eps(v, eps); });
        },
        py::arg("x"), py::arg("eps"), "MAXCUT step S_eps: (value, first, second derivative).");
    m.def(
        "jl_indicator",
        [](const DArray& u, double eps, double eps1) {
            derand::require_positive(eps, "eps");
            derand::require_positive(eps1, "eps1");
            return map_d2(u, "u", [eps, eps1](double v) { return derand::jl_indicator(v, eps, eps1); });
        },
        py::arg("u"), py::arg("eps"), py::arg("eps1"), "JL violation indicator of u = ||Ax||^2 - 1.");
    m.def(
        "relu_iota",
        [](const DArray& x, double iota) {
            derand::require_positive(iota, "iota");
            return map_d2(x, "x", [iota](double v) { return derand::relu_iota(v, iota); });
        },
        py::arg("x"), py::arg("iota"), "ReLU_iota(x) = log(1 + exp(iota x)) / iota.");
}
