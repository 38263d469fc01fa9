// Python access to the tabu search (tabu.hpp): a resumable search object whose
// run(moves) releases the GIL, so Python can pause between chunks for the
// clock and Ctrl-C without changing the result.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <memory>
#include <string>

#include "bind_graph.hpp"
#include "tabu.hpp"

namespace py = pybind11;
using derand::GraphView;
using derand::I8Array;

namespace {

std::unique_ptr<derand::TabuSearch> make_search(const GraphView& graph, const I8Array& x, std::int64_t tenure_min,
                                                std::int64_t tenure_max, std::int64_t stall, std::int64_t perturb,
                                                double tol, std::int64_t seed) {
    const derand::Csr g = graph.csr();
    derand::require_partition(x, g.n, "x");
    const std::int64_t cap = g.n > 1 ? g.n : 1;
    if (tenure_min < 1 || tenure_max < tenure_min || tenure_max > cap) {
        throw std::invalid_argument("tenure must satisfy 1 <= tenure_min <= tenure_max <= max(n, 1) = " +
                                    std::to_string(cap) + ", got [" + std::to_string(tenure_min) + ", " +
                                    std::to_string(tenure_max) + "]");
    }
    if (stall < 1) throw std::invalid_argument("stall must be >= 1, got " + std::to_string(stall));
    if (perturb < 0 || perturb > g.n) {
        throw std::invalid_argument("perturb must be in [0, n = " + std::to_string(g.n) + "], got " +
                                    std::to_string(perturb));
    }
    if (!(tol >= 0.0) || !std::isfinite(tol)) throw std::invalid_argument("tol must be finite and >= 0");
    if (seed < 0) throw std::invalid_argument("seed must be >= 0, got " + std::to_string(seed));
    derand::TabuOptions opt;
    opt.tenure_min = tenure_min;
    opt.tenure_max = tenure_max;
    opt.stall = stall;
    opt.perturb = perturb;
    opt.tol = tol;
    opt.seed = static_cast<std::uint64_t>(seed);
    return std::make_unique<derand::TabuSearch>(g, x.data(), opt);
}

}  // namespace

void bind_tabu(py::module_& m) {
    py::class_<derand::TabuSearch>(m, "TabuSearch",
                                   "Resumable 1-flip tabu search for MAXCUT with restarts from the best cut.")
        .def(py::init(&make_search), py::arg("graph"), py::arg("x"), py::arg("tenure_min"), py::arg("tenure_max"),
             py::arg("stall"), py::arg("perturb"), py::arg("tol"), py::arg("seed"))
        .def(
            "run",
            [](derand::TabuSearch& self, std::int64_t moves) {
                if (moves < 0) throw std::invalid_argument("moves must be >= 0, got " + std::to_string(moves));
                py::gil_scoped_release release;
                self.run(moves);
            },
            py::arg("moves"), "Perform `moves` more moves (GIL released).")
        .def_property_readonly("best_x",
                               [](const derand::TabuSearch& self) {
                                   const auto& b = self.best_x();
                                   py::array_t<std::int8_t> out(static_cast<py::ssize_t>(b.size()));
                                   std::copy(b.begin(), b.end(), out.mutable_data());
                                   return out;
                               })
        .def_property_readonly("start_cut", &derand::TabuSearch::start_cut)
        .def_property_readonly("best_cut", &derand::TabuSearch::best_cut)
        .def_property_readonly("current_cut", &derand::TabuSearch::current_cut)
        .def_property_readonly("moves", &derand::TabuSearch::moves)
        .def_property_readonly("restarts", &derand::TabuSearch::restarts)
        .def_property_readonly("best_move", &derand::TabuSearch::best_move);
}
