// Entry point of the private extension module derand_fast._core.
// It only registers the kernel families; each lives in its own bind_<topic>.cpp.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_indicators(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "derand_fast compiled kernels (private; use the derand_fast package).";
    bind_indicators(m);
}
