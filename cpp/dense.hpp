// Small dense-vector helpers of the MAXCUT kernels. Reductions use eight
// interleaved partial sums combined in a fixed tree: the order is fixed (the
// same on every call and thread count) but lets the compiler use SIMD.
#pragma once

namespace derand {

inline double fixed_dot(const double* a, const double* b, int r) {
    double acc[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    int k = 0;
    for (; k + 8 <= r; k += 8) {
        for (int l = 0; l < 8; ++l) acc[l] += a[k + l] * b[k + l];
    }
    double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; k < r; ++k) s += a[k] * b[k];
    return s;
}

}  // namespace derand
