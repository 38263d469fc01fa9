// Python access to the mixing-method SDP solver (sdp.hpp). A MixingSolver
// keeps a reference to the graph view, the colouring and V (updated in place)
// so that the Python driver can run the sweeps in short chunks (Ctrl-C,
// progress, time limits) without re-colouring.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <vector>

#include "bind_graph.hpp"
#include "sdp.hpp"

namespace py = pybind11;
using derand::DArray;
using derand::GraphView;

namespace {

using OutArray = py::array_t<double, py::array::c_style>;

class MixingSolver {
  public:
    // Sweeps on the weights divided by scale (the caller's power of two: exact); the graph
    // view must outlive the solver (the binding keeps it alive).
    MixingSolver(const GraphView& graph, OutArray V, int threads, double scale) : V_(std::move(V)) {
        derand::require_positive(scale, "scale");
        g_ = graph.csr();
        if (scale != 1.0) {
            scaled_.resize(graph.data().size());
            for (std::size_t p = 0; p < scaled_.size(); ++p) {
                scaled_[p] = graph.data()[p] / scale;
                if (!std::isfinite(scaled_[p])) throw std::invalid_argument("weights / scale overflows float64");
            }
            g_.weights = scaled_.data();
        }
        r_ = derand::require_factor(V_, g_.n, "V");
        if (!V_.writeable()) throw std::invalid_argument("V must be writeable");
        derand::require_finite(DArray::ensure(V_), "V");
        threads_ = derand::require_threads(threads);
        py::gil_scoped_release release;
        col_ = derand::greedy_coloring(g_);
        slots_.assign(static_cast<std::size_t>(g_.n), 0.0);
    }

    py::tuple run(std::int64_t max_sweeps, double tol, double time_budget) {
        if (max_sweeps < 0) throw std::invalid_argument("max_sweeps must be >= 0");
        if (!(tol >= 0.0) || !std::isfinite(tol)) throw std::invalid_argument("tol must be finite and >= 0");
        if (!(time_budget >= 0.0)) throw std::invalid_argument("time_budget must be >= 0");
        derand::SweepStats st;
        {
            py::gil_scoped_release release;
            st = derand::mixing_sweeps(g_, V_.mutable_data(), r_, col_, max_sweeps, tol, time_budget, threads_,
                                       slots_.data());
        }
        return py::make_tuple(st.sweeps, st.last_delta, st.converged);
    }

    double objective() const {
        py::gil_scoped_release release;
        return derand::sdp_objective(g_, V_.data(), r_, threads_);
    }

    std::int64_t n_colors() const { return static_cast<std::int64_t>(col_.class_ptr.size()) - 1; }
    // Colour classes large enough to run in parallel (when threads > 1).
    std::int64_t parallel_classes() const {
        std::int64_t k = 0;
        for (std::int64_t w : col_.class_work) k += (w * r_ >= derand::kParallelWork) ? 1 : 0;
        return k;
    }
    OutArray V() const { return V_; }

  private:
    OutArray V_;
    std::vector<double> scaled_;  // weights / scale when scale != 1
    derand::Csr g_;
    int r_ = 0;
    int threads_ = 1;
    derand::Coloring col_;
    std::vector<double> slots_;
};

}  // namespace

void bind_sdp(py::module_& m) {
    py::class_<MixingSolver>(m, "MixingSolver",
                             "Mixing-method sweeps on V (n x r, float64, C order, updated in place).")
        .def(py::init<const GraphView&, OutArray, int, double>(), py::arg("graph"), py::arg("V").noconvert(),
             py::arg("threads"), py::arg("scale") = 1.0, py::keep_alive<1, 2>(),
             "Sweeps on graph's weights / scale (scale: a power of two keeps them exact).")
        .def("run", &MixingSolver::run, py::arg("max_sweeps"), py::arg("tol"), py::arg("time_budget"),
             "Sweep until a sweep gains < tol, max_sweeps, or time_budget s: (sweeps, last_delta, converged).")
        .def("objective", &MixingSolver::objective, "sum_edges w_ij (1 - v_i.v_j) / 2.")
        .def_property_readonly("n_colors", &MixingSolver::n_colors)
        .def_property_readonly("parallel_classes", &MixingSolver::parallel_classes)
        .def_property_readonly("V", &MixingSolver::V);
}
