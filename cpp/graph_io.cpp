#include "graph_io.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace derand {

namespace {

inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

[[noreturn]] void fail(std::int64_t line, const std::string& what) {
    throw ParseError("line " + std::to_string(line) + ": " + what);
}

std::string token_text(const char* b, const char* e) {
    std::string s(b, static_cast<std::size_t>(e - b));
    if (s.size() > 40) s = s.substr(0, 40) + "...";
    return s;
}

std::int64_t parse_int(const char* b, const char* e, std::int64_t line, const char* what) {
    std::int64_t x = 0;
    const char* p = b;
    if (p < e && *p == '+') ++p;
    auto r = std::from_chars(p, e, x);
    if (r.ec != std::errc() || r.ptr != e) {
        // Accept integral floats such as "3.0" (some writers emit them).
        double d = 0.0;
        auto rd = std::from_chars(p, e, d);
        if (rd.ec == std::errc() && rd.ptr == e && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
            return static_cast<std::int64_t>(d);
        }
        fail(line, std::string("expected an integer ") + what + ", got '" + token_text(b, e) + "'");
    }
    return x;
}

double parse_double(const char* b, const char* e, std::int64_t line) {
    double x = 0.0;
    const char* p = b;
    if (p < e && *p == '+') ++p;
    auto r = std::from_chars(p, e, x);
    if (r.ec != std::errc() || r.ptr != e) {
        fail(line, "expected a numeric weight, got '" + token_text(b, e) + "'");
    }
    if (!std::isfinite(x)) fail(line, "weight is not finite ('" + token_text(b, e) + "')");
    return x;
}

}  // namespace

ParsedEdges parse_edge_text(const char* text, std::size_t size, bool header) {
    ParsedEdges out;
    const char* p = text;
    const char* end = text + size;
    std::int64_t line = 0;
    bool need_header = header;
    const char* tok_b[4];
    const char* tok_e[4];
    while (p < end) {
        ++line;
        const char* eol = p;
        while (eol < end && *eol != '\n') ++eol;
        // Tokenize [p, eol).
        int ntok = 0;
        const char* q = p;
        while (q < eol && is_blank(*q)) ++q;
        const bool comment = q < eol && (*q == '#' || *q == '%');
        if (!comment) {
            while (q < eol) {
                const char* b = q;
                while (q < eol && !is_blank(*q)) ++q;
                if (ntok < 4) {
                    tok_b[ntok] = b;
                    tok_e[ntok] = q;
                }
                ++ntok;
                while (q < eol && is_blank(*q)) ++q;
            }
        }
        p = eol < end ? eol + 1 : end;
        if (comment || ntok == 0) continue;
        if (need_header) {
            if (ntok != 2) {
                fail(line, "header must be 'n m' (2 integers), found " + std::to_string(ntok) + " tokens");
            }
            out.header_n = parse_int(tok_b[0], tok_e[0], line, "node count n in the header");
            out.header_m = parse_int(tok_b[1], tok_e[1], line, "edge count m in the header");
            if (out.header_n < 0 || out.header_m < 0) {
                fail(line, "header 'n m' must hold non-negative counts, got n = " + std::to_string(out.header_n) +
                               ", m = " + std::to_string(out.header_m));
            }
            out.has_header = true;
            out.header_line = line;
            need_header = false;
            {
                // Reserve what the header announces, but never more than the rest of the
                // text could hold (an edge line takes at least 4 bytes): a lying header
                // must not allocate gigabytes before the count mismatch is reported.
                const auto room = static_cast<std::int64_t>(end - p) / 4 + 1;
                const auto cap = static_cast<std::size_t>(std::min(out.header_m, room));
                out.i.reserve(cap);
                out.j.reserve(cap);
                out.w.reserve(cap);
                out.line.reserve(cap);
            }
            continue;
        }
        if (ntok != 2 && ntok != 3) {
            fail(line, "expected 'i j' or 'i j w', found " + std::to_string(ntok) + " tokens");
        }
        if (out.columns == 0) {
            out.columns = ntok;
        } else if (ntok != out.columns) {
            fail(line, "expected " + std::to_string(out.columns) + " tokens like the lines above, found " +
                           std::to_string(ntok));
        }
        out.i.push_back(parse_int(tok_b[0], tok_e[0], line, "node label"));
        out.j.push_back(parse_int(tok_b[1], tok_e[1], line, "node label"));
        if (ntok == 3) out.w.push_back(parse_double(tok_b[2], tok_e[2], line));
        out.line.push_back(line);
    }
    if (need_header) throw ParseError("line " + std::to_string(line) + ": no header 'n m' found (empty file)");
    return out;
}

}  // namespace derand
