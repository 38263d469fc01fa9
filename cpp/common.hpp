// Helpers shared by the binding adapters: argument checks that name the
// offending argument and arrive in Python as ValueError.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace derand {

namespace py = pybind11;

using DArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

// Throws std::invalid_argument (ValueError) unless `a` has `ndim` dimensions.
inline void require_ndim(const py::array& a, py::ssize_t ndim, const char* name) {
    if (a.ndim() != ndim) {
        throw std::invalid_argument(std::string(name) + " must be " + std::to_string(ndim) +
                                    "-dimensional, got " + std::to_string(a.ndim()) + " dimensions");
    }
}

// Throws unless every entry of the double array is finite.
inline void require_finite(const DArray& a, const char* name) {
    const double* p = a.data();
    const py::ssize_t n = a.size();
    for (py::ssize_t i = 0; i < n; ++i) {
        if (!std::isfinite(p[i])) {
            throw std::invalid_argument(std::string(name) + " contains NaN or inf (first at flat index " +
                                        std::to_string(i) + ")");
        }
    }
}

inline void require_positive(double x, const char* name) {
    if (!(x > 0.0) || !std::isfinite(x)) {
        throw std::invalid_argument(std::string(name) + " must be a positive finite number, got " +
                                    std::to_string(x));
    }
}

}  // namespace derand
