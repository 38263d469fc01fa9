"""matplotlib is the optional [plot] extra: nothing imports it until a figure is drawn, and a missing one says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_imports_without_loading_matplotlib(tmp_path):
    code = ("import sys, derand_fast, derand_fast.maxcut, derand_fast.nn.experiment, derand_fast.jl.figures, "
            "derand_fast.toy, derand_fast.reproduce, derand_fast.maxcut.experiment_f2, derand_fast.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    # from an empty folder: the installed package is imported (the tree itself when installed editable)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    from derand_fast.maxcut import maxcut
    from derand_fast.nn.experiment import plot_weights
    from derand_fast.reproduce import reproduce

    res = maxcut(nx.cycle_graph(5), n_hyperplanes=5, local_search=False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what an install without it looks like to import
    for call, what in [(res.plot, "MaxCutResult.plot"),
                       (lambda: reproduce(tmp_path / "out", only=["fig1"], quick=True), "derand-fast reproduce"),
                       (lambda: plot_weights(np.ones((3, 2)), np.ones((3, 2)), np.ones((1, 2)), tmp_path / "w.png"),
                        "Fig. 3")]:
        with pytest.raises(ImportError, match=r"derand_fast\[plot\]") as err:
            call()
        assert what in str(err.value)
    assert not (tmp_path / "out").exists()  # reproduce refused before running anything


def test_the_extra_is_declared_and_pulled_by_the_test_extra():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("matplotlib") for d in project["dependencies"])
    assert project["optional-dependencies"]["plot"] == ["matplotlib>=3.7"]
    assert any("plot" in d for d in project["optional-dependencies"]["test"] if d.startswith("derand_fast["))
