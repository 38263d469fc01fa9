// Entry point of the private extension module derand_fast._core.
// It only registers the kernel families; each lives in its own bind_<topic>.cpp.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_indicators(py::module_& m);
void bind_graph(py::module_& m);
void bind_cut(py::module_& m);
void bind_sdp(py::module_& m);
void bind_rounding(py::module_& m);
void bind_exact(py::module_& m);
void bind_tabu(py::module_& m);
void bind_anneal(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "derand_fast compiled kernels (private; use the derand_fast package).";
    bind_indicators(m);
    bind_graph(m);
    bind_cut(m);
    bind_sdp(m);
    bind_rounding(m);
    bind_exact(m);
    bind_tabu(m);
    bind_anneal(m);
}
