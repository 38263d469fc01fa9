"""Mutation fuzz campaign for the graph parsers.

Runs ``N`` inputs through the C++ tokenizer ``_core.parse_edge_text`` (both
modes) and every ``--file-every``-th input also through
:func:`derand_fast.maxcut.load_graph` on a temporary file. Inputs are random
mutations (byte flips, inserts, deletes, token splices, line duplications)
of a seed corpus of valid and nearly valid Gset/edge-list texts, seeded
deterministically. An input fails when it raises anything but ``ValueError``
or parses into an inconsistent result (the checks of
``tests/hardening/test_fuzz_parsers.py``); a hard crash kills the process,
and the last input is kept in ``--last`` to reproduce it.

Usage::

    python benchmarks/fuzz_parsers.py --n 1000000 --seed 0

Exit status 0 when every input passed; failures are written to ``--out``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from derand_fast import _core
from derand_fast.maxcut import load_graph

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hardening"))
from test_fuzz_parsers import _check_graph, _check_parsed, modest_sizes  # noqa: E402  (one set of invariants)

CORPUS = [
    b"3 2\n1 2 1\n2 3 -1\n",
    b"4 3\r\n1 2\r\n2 3\r\n3 4\r\n",
    b"# comment\n0 1 2.5\n1 2 1e-3\n% other\n2 0 -4\n",
    b"0 1\n1 2\n2 3\n",
    b"5 0\n",
    b"2 1\n1 2 1 \n",
    b"3 3\n1 2 1\n2 3 1\n1 3 1\n",
    b"10 2\n1 10 1.5\n10 1 2\n",
]
TOKENS = [b" ", b"\n", b"\r\n", b"\t", b"0", b"1", b"-1", b"nan", b"inf", b"1e400", b"2147483648",
          b"9223372036854775808", b"#", b"%", b".", b"e", b"+", b"-", b"\x00", b"\xff", b"1.5e-3"]


def mutate(rng: np.random.Generator, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        op = int(rng.integers(0, 6))
        pos = int(rng.integers(0, len(b) + 1))
        if op == 0 and b:  # flip a byte
            b[min(pos, len(b) - 1)] = int(rng.integers(0, 256))
        elif op == 1:  # insert a token
            b[pos:pos] = TOKENS[int(rng.integers(0, len(TOKENS)))]
        elif op == 2 and b:  # delete a span
            del b[pos:pos + int(rng.integers(1, 4))]
        elif op == 3:  # splice a piece of another corpus entry
            other = CORPUS[int(rng.integers(0, len(CORPUS)))]
            s = int(rng.integers(0, len(other)))
            b[pos:pos] = other[s:s + int(rng.integers(1, 8))]
        elif op == 4 and b:  # duplicate a line
            lines = bytes(b).split(b"\n")
            k = int(rng.integers(0, len(lines)))
            lines.insert(k, lines[k])
            b = bytearray(b"\n".join(lines))
        elif op == 5:  # replace a digit run by a large number
            b[pos:pos] = str(int(rng.integers(0, 2**62)) >> int(rng.integers(0, 62))).encode()
    return bytes(b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--file-every", type=int, default=50)
    ap.add_argument("--out", default="fuzz_failures.txt")
    ap.add_argument("--last", default=str(Path(tempfile.gettempdir()) / "fuzz_last_input.bin"))
    ap.add_argument("--max-gib", type=float, default=6.0, help="address-space cap (a runaway allocation fails)")
    args = ap.parse_args()
    cap = int(args.max_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    rng = np.random.default_rng(args.seed)
    tmp = Path(tempfile.mkdtemp()) / "g.txt"
    failures: list[str] = []
    parsed_ok = file_ok = file_runs = skipped = 0
    t0 = time.perf_counter()
    pool = list(CORPUS)
    for k in range(args.n):
        data = mutate(rng, pool[int(rng.integers(0, len(pool)))])
        if k % 1000 == 0:
            Path(args.last).write_bytes(data)
        if not modest_sizes(data):
            skipped += 1
            continue
        for header in (True, False):
            try:
                res = _core.parse_edge_text(data, header)
            except ValueError:
                continue
            except Exception as exc:  # noqa: BLE001 - every other exception is a finding
                failures.append(f"parse_edge_text({data!r}, {header}): {type(exc).__name__}: {exc}")
                continue
            try:
                _check_parsed(res)
                parsed_ok += 1
                if len(pool) < 2000 and rng.random() < 0.01:
                    pool.append(data)  # parsable inputs seed further mutations
            except AssertionError:
                failures.append(f"parse_edge_text({data!r}, {header}): inconsistent result {res!r}")
        if k % args.file_every == 0:
            file_runs += 1
            tmp.write_bytes(data)
            try:
                _check_graph(load_graph(tmp))
                file_ok += 1
            except ValueError:
                pass
            except Exception as exc:  # noqa: BLE001
                failures.append(f"load_graph({data!r}): {type(exc).__name__}: {exc}")
        if (k + 1) % 100_000 == 0:
            print(f"{k + 1} inputs, {time.perf_counter() - t0:.0f} s, {len(failures)} failures", flush=True)
    Path(args.out).write_text("\n".join(failures) + ("\n" if failures else ""))
    print(f"done: {args.n} inputs, {skipped} skipped as oversized (F1/F5), {2 * (args.n - skipped)} tokenizer "
          f"calls ({parsed_ok} parsed), {file_runs} load_graph files ({file_ok} loaded), {len(failures)} failures, "
          f"{time.perf_counter() - t0:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
