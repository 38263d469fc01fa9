"""A read-only install without a writable HOME still runs (Numba's cache falls back to a temporary folder)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from derand_fast._numba_cache import fallback_cache_dir


def test_no_fallback_where_numba_can_write(tmp_path):
    assert fallback_cache_dir(str(tmp_path), str(tmp_path)) is None


def test_fallback_when_neither_place_is_writable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")  # a file where a folder would have to be created: not writable for anyone, root too
    path = fallback_cache_dir(str(blocker / "pkg"), str(blocker / "home"))
    assert path is not None and os.path.isdir(path) and os.access(path, os.W_OK)
    os.rmdir(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes everywhere: the fallback is not needed")
def test_maxcut_runs_with_home_nonexistent():  # pragma: no cover - CI runs as root
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["HOME"] = "/nonexistent"
    r = subprocess.run([sys.executable, "-c", "import derand_fast as d, networkx as nx; "
                        "print(d.maxcut(nx.cycle_graph(5), n_hyperplanes=5).cut)"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "4.0"
