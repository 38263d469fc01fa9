// Fast parser of whitespace-separated edge text (Gset/rudy files and plain
// edge lists). Pure C++; errors carry the 1-based line number.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace derand {

struct ParsedEdges {
    bool has_header = false;
    std::int64_t header_n = 0;
    std::int64_t header_m = 0;
    std::int64_t header_line = 0;          // 1-based source line of the header (0: none)
    int columns = 0;                       // 2 (unweighted) or 3 (weighted)
    std::vector<std::int64_t> i, j;        // as written in the file
    std::vector<double> w;                 // empty when columns == 2
    std::vector<std::int64_t> line;        // 1-based source line of each edge
};

// Thrown with a message "line N: ..." (N 1-based).
struct ParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Parses `text` (size bytes). Blank lines and lines whose first non-blank
// character is '#' or '%' are skipped; '\r' counts as blank space (CRLF).
// If `header` is true the first data line must be "n m" (two non-negative
// integers; negative counts are an error naming both). Every other data line must hold the same number (2 or 3) of
// tokens: two integer node labels and an optional finite weight.
ParsedEdges parse_edge_text(const char* text, std::size_t size, bool header);

}  // namespace derand
