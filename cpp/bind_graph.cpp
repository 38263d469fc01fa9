// Python access to the edge-text parser (graph_io.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "graph_io.hpp"

namespace py = pybind11;

namespace {

template <class T>
py::array_t<T> to_array(std::vector<T>&& v) {
    auto* heap = new std::vector<T>(std::move(v));
    py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>(static_cast<py::ssize_t>(heap->size()), heap->data(), owner);
}

}  // namespace

void bind_graph(py::module_& m) {
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
