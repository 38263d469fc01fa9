// A tiny check harness for the kernel tests (no test framework dependency).
// CHECK* record a failure and go on (the process exits non-zero at the end);
// they stay active under NDEBUG, unlike assert. Every test program is
//   int main() { return derand_test::run({{"name", fn}, ...}); }
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <utility>
#include <vector>

namespace derand_test {

inline int& failures() {
    static int f = 0;
    return f;
}
inline long& checks() {
    static long c = 0;
    return c;
}

inline bool check(bool ok, const char* expr, const char* file, int line) {
    ++checks();
    if (!ok) {
        ++failures();
        std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
    }
    return ok;
}

inline bool check_near(double a, double b, double tol, const char* ea, const char* eb, const char* file, int line) {
    ++checks();
    const bool ok = std::fabs(a - b) <= tol;  // false for NaN
    if (!ok) {
        ++failures();
        std::fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.17g, %s = %.17g, |diff| = %.3g > %.3g\n", file, line,
                     ea, a, eb, b, std::fabs(a - b), tol);
    }
    return ok;
}

using Case = std::pair<const char*, std::function<void()>>;

// Runs every case (an exception is a failure of that case); prints a summary.
inline int run(const std::vector<Case>& cases) {
    for (const auto& [name, fn] : cases) {
        const int before = failures();
        try {
            fn();
        } catch (const std::exception& e) {
            ++failures();
            std::fprintf(stderr, "case %s: exception: %s\n", name, e.what());
        }
        std::printf("%-40s %s\n", name, failures() == before ? "ok" : "FAILED");
    }
    std::printf("%zu cases, %ld checks, %d failed\n", cases.size(), checks(), failures());
    return failures() == 0 ? 0 : 1;
}

}  // namespace derand_test

#define CHECK(cond) ::derand_test::check(static_cast<bool>(cond), #cond, __FILE__, __LINE__)
#define CHECK_NEAR(a, b, tol) ::derand_test::check_near((a), (b), (tol), #a, #b, __FILE__, __LINE__)
#define CHECK_THROWS(expr, Exc)                                        \
    do {                                                               \
        bool thrown_ = false;                                          \
        try {                                                          \
            (void)(expr);                                              \
        } catch (const Exc&) {                                         \
            thrown_ = true;                                            \
        }                                                              \
        ::derand_test::check(thrown_, #expr " throws " #Exc, __FILE__, __LINE__); \
    } while (0)
