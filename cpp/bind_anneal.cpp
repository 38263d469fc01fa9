// Python access to simulated annealing (anneal.hpp): a resumable annealer whose
// run(sweeps) releases the GIL, so Python can pause between chunks for the
// clock and Ctrl-C without changing the result.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <memory>
#include <string>

#include "anneal.hpp"
#include "bind_graph.hpp"

namespace py = pybind11;
using derand::GraphView;
using derand::I8Array;

namespace {

std::unique_ptr<derand::Annealer> make_annealer(const GraphView& graph, const I8Array& x, std::int64_t seed) {
    const derand::Csr g = graph.csr();
    derand::require_partition(x, g.n, "x");
    if (seed < 0) throw std::invalid_argument("seed must be >= 0, got " + std::to_string(seed));
    return std::make_unique<derand::Annealer>(g, x.data(), static_cast<std::uint64_t>(seed));
}

void require_sweeps(std::int64_t sweeps, const char* name) {
    if (sweeps < 0) throw std::invalid_argument(std::string(name) + " must be >= 0, got " + std::to_string(sweeps));
}

py::array_t<std::int8_t> to_array(const std::vector<std::int8_t>& b) {
    py::array_t<std::int8_t> out(static_cast<py::ssize_t>(b.size()));
    std::copy(b.begin(), b.end(), out.mutable_data());
    return out;
}

}  // namespace

void bind_anneal(py::module_& m) {
    py::class_<derand::Annealer>(m, "Annealer",
                                 "Resumable single-spin Metropolis annealing for MAXCUT that keeps the best cut seen.")
        .def(py::init(&make_annealer), py::arg("graph"), py::arg("x"), py::arg("seed"))
        .def(
            "schedule",
            [](derand::Annealer& self, double beta_start, double beta_end, std::int64_t sweeps) {
                derand::require_positive(beta_start, "beta_start");
                derand::require_positive(beta_end, "beta_end");
                require_sweeps(sweeps, "sweeps");
                self.schedule(beta_start, beta_end, sweeps);
            },
            py::arg("beta_start"), py::arg("beta_end"), py::arg("sweeps"),
            "Start a segment of `sweeps` sweeps from the current state, beta geometric from beta_start to beta_end.")
        .def(
            "run",
            [](derand::Annealer& self, std::int64_t sweeps) {
                require_sweeps(sweeps, "sweeps");
                py::gil_scoped_release release;
                return self.run(sweeps);
            },
            py::arg("sweeps"), "Up to `sweeps` more sweeps of the segment (GIL released); returns the number done.")
        .def(
            "descend",
            [](derand::Annealer& self, std::int64_t max_sweeps, double tol) {
                require_sweeps(max_sweeps, "max_sweeps");
                if (!(tol >= 0.0) || !std::isfinite(tol)) throw std::invalid_argument("tol must be finite and >= 0");
                py::gil_scoped_release release;
                return self.descend(max_sweeps, tol);
            },
            py::arg("max_sweeps"), py::arg("tol"),
            "Greedy sweeps of the current state (flips with gain > tol) until none flips; returns the sweeps done.")
        .def("restore_best", &derand::Annealer::restore_best, "The current state becomes the best partition seen.")
        .def_property_readonly("best_x", [](const derand::Annealer& self) { return to_array(self.best_x()); })
        .def_property_readonly("x", [](const derand::Annealer& self) { return to_array(self.x()); })
        .def_property_readonly("start_cut", &derand::Annealer::start_cut)
        .def_property_readonly("best_cut", &derand::Annealer::best_cut)
        .def_property_readonly("current_cut", &derand::Annealer::current_cut)
        .def_property_readonly("sweeps", &derand::Annealer::sweeps)
        .def_property_readonly("flips", &derand::Annealer::flips)
        .def_property_readonly("segment_left", &derand::Annealer::segment_left)
        .def_property_readonly("best_sweep", &derand::Annealer::best_sweep)
        .def_property_readonly("integral", &derand::Annealer::integral);
}
