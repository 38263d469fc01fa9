"""``derand-fast reproduce``: the quick run end to end, results.json schema, determinism, failure handling."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from derand_fast import reproduce as rp
from derand_fast.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """The quick run twice: through the command line (all threads), then through the API with 1 thread."""
    from derand_fast.maxcut.data import DATA_ENV

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(DATA_ENV, raising=False)
        out1 = tmp_path_factory.mktemp("quick1")
        assert main(["reproduce", "--quick", "--out", str(out1)]) == 0
        first = json.loads((out1 / "results.json").read_text())
        out2 = tmp_path_factory.mktemp("quick2")
        second = rp.reproduce(out2, quick=True, threads=1, progress=None)
    return out1, first, second


def test_quick_run_writes_every_figure_and_valid_results(quick_runs: tuple[Path, dict, dict]) -> None:
    out, res, _ = quick_runs
    assert rp.validate_results(res) == []
    assert list(res["experiments"]) == list(rp.EXPERIMENTS)
    assert res["quick"] is True and res["seed"] == 0 and res["version"] and res["data_dir"] is None
    report = (out / "REPRODUCTION.md").read_text(encoding="utf-8")
    n_png = 0
    for name, e in res["experiments"].items():
        assert e["status"] == "ok", (name, e["error"])
        assert e["figures"], name
        assert e["seconds"] >= 0 and e["cpu_seconds"] >= 0
        for f in e["figures"]:
            data = (out / f).read_bytes()
            assert data.startswith(PNG_MAGIC) and len(data) > 1000, f
            assert f"({f})" in report, f  # every figure is linked from the report
            n_png += 1
        for c in e["claims"]:
            assert c["verdict"] in ("reproduced", "differs")  # every experiment ran, so none is "not run"
            assert f"**{c['verdict']}**" in report
    assert n_png == len(list(out.glob("*.png")))  # no stray or unlisted PNG
    assert "## Claims that did not reproduce" in report


def test_quick_numbers_are_deterministic_across_runs_and_threads(quick_runs: tuple[Path, dict, dict]) -> None:
    _, first, second = quick_runs
    assert second["threads"] == 1
    for name in rp.EXPERIMENTS:
        a, b = first["experiments"][name], second["experiments"][name]
        assert a["numbers"] == b["numbers"], name  # exact equality: bit-identical floats survive JSON
        assert a["claims"] == b["claims"], name
        assert a["settings"] == b["settings"], name


def test_validator_reports_each_kind_of_problem(quick_runs: tuple[Path, dict, dict]) -> None:
    _, res, _ = quick_runs
    bad = copy.deepcopy(res)
    del bad["version"]
    bad["seed"] = "0"
    e = bad["experiments"]["fig4_5"]
    e["claims"][0]["verdict"] = "maybe"
    del e["claims"][1]["ours"]
    e["figures"].append("cut.svg")
    svg = f"fig4_5.figures[{len(e['figures']) - 1}]"
    bad["experiments"]["fig1_2"]["claims"] = []
    bad["experiments"]["fig3"]["status"] = "done"
    bad["data_dir"] = 3
    errors = "\n".join(rp.validate_results(bad))
    for needle in ("missing 'version'", "results.seed", "results.data_dir", "verdict: 'maybe'", "missing 'ours'", svg,
                   "fig1_2.claims: empty", "fig3.status"):
        assert needle in errors
    assert rp.validate_results([]) == ["results: expected an object, got list"]


def test_failed_and_interrupted_experiments_are_recorded_as_not_run(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx):
        raise RuntimeError("kernel exploded")

    def ctrl_c(ctx):
        raise KeyboardInterrupt

    claim = (("Fig. 9", "a statement", "42"),)
    monkeypatch.setattr(rp.registry, "EXPERIMENTS", {"a": rp.Experiment("a", "broken", broken, (1, 1), claim),
                                            "b": rp.Experiment("b", "interrupted", ctrl_c, (1, 1), claim),
                                            "c": rp.Experiment("c", "after Ctrl-C", broken, (1, 1), claim)})
    with pytest.raises(KeyboardInterrupt):
        rp.reproduce(tmp_path, progress=None)
    res = json.loads((tmp_path / "results.json").read_text())
    assert rp.validate_results(res) == []
    ex = res["experiments"]
    assert ex["a"]["status"] == "failed" and "kernel exploded" in ex["a"]["error"]
    assert ex["b"]["status"] == ex["c"]["status"] == "interrupted"  # nothing runs after a Ctrl-C
    assert all(e["claims"][0]["verdict"] == "not run" and e["claims"][0]["paper"] == "42" for e in ex.values())
    report = (tmp_path / "REPRODUCTION.md").read_text(encoding="utf-8")
    assert report.count("**not run**") == 6  # table + per-experiment list


def test_selection_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert rp.select(["fig5", "fig1", "fig4"]) == ["fig1_2", "fig4_5"]
    with pytest.raises(ValueError, match="only: unknown experiment 'fig9'"):
        rp.reproduce(tmp_path, only=["fig9"], progress=None)
    with pytest.raises(ValueError, match="seed"):
        rp.reproduce(tmp_path, seed=-1, progress=None)
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="out_dir"):
        rp.reproduce(f, only=["fig1"], progress=None)
    assert main(["reproduce", "--only", "fig9"]) == 2
    assert "unknown experiment 'fig9'" in capsys.readouterr().err
    assert main(["reproduce", "--out", str(f)]) == 2
    assert "not a directory" in capsys.readouterr().err


def _fake_maxcut(path, **kwargs):
    """Stands in for the pipeline in the Gset runner (the plumbing of the data folder is under test, not MAXCUT)."""
    return SimpleNamespace(n=3, m=2, sdp_value=2.5, gw_best=1.0, gw_mean=1.0, rounding_cut=2.0, cut=2.0,
                           best_known=None, status="completed", path=Path(path))


def test_gset_runner_reads_graphs_only_from_the_folder_it_is_given(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import derand_fast.maxcut.solve as solve_module
    from derand_fast.maxcut.data import DATA_ENV, builtin_graph_path
    from derand_fast.reproduce.maxcut import run_gset

    seen: list[Path] = []
    monkeypatch.setattr(solve_module, "maxcut", lambda path, **kw: seen.append(Path(path)) or _fake_maxcut(path))
    monkeypatch.delenv(DATA_ENV, raising=False)
    data = tmp_path / "gset"
    data.mkdir()
    (data / "G11").write_text("2 1\n1 2 1\n")
    out = tmp_path / "out"
    out.mkdir()
    o = run_gset(rp.RunContext(quick=False, out=out, seed=0, threads=1, data_dir=data))
    assert seen == [data / "G11", builtin_graph_path()]  # registry order G1, G11, G14, G43, G55; G43 is built in
    assert o.numbers["skipped"] == ["G1", "G14", "G55"]
    assert f"not in {data}" in o.claims[0].note
    seen.clear()
    o = run_gset(rp.RunContext(quick=False, out=out, seed=0, threads=1, data_dir=None))
    assert seen == [builtin_graph_path()]  # nothing outside the package without a folder
    assert o.numbers["skipped"] == ["G1", "G11", "G14", "G55"]
    assert "--data DIR" in o.claims[0].note and DATA_ENV in o.claims[0].note


def test_data_folder_from_the_argument_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from derand_fast.maxcut.data import DATA_ENV, builtin_graph_path, data_dir, gset_path

    monkeypatch.delenv(DATA_ENV, raising=False)
    assert data_dir() is None and gset_path("G1") is None
    assert gset_path("G43") == builtin_graph_path()
    (tmp_path / "G1").write_text("2 1\n1 2 1\n")
    assert gset_path("G1", tmp_path) == tmp_path / "G1" and gset_path("G2", tmp_path) is None
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert data_dir() == tmp_path and gset_path("G1") == tmp_path / "G1"
    with pytest.raises(NotADirectoryError, match="data_dir: .*G1 is not a folder"):
        data_dir(tmp_path / "G1")
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "missing"))
    with pytest.raises(NotADirectoryError, match=DATA_ENV):
        rp.reproduce(tmp_path / "out", only=["fig1"], progress=None)
    assert main(["reproduce", "--only", "fig1", "--out", str(tmp_path / "out"), "--data",
                 str(tmp_path / "G1")]) == 2
    assert "--data: " in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # refused before anything ran
    monkeypatch.delenv(DATA_ENV)
    calls: list = []  # the package's progress protocol
    res = rp.reproduce(tmp_path / "out", only=["fig1"], quick=True, data_dir=tmp_path,
                       progress=lambda *a: calls.append(a))
    assert res["data_dir"] == str(tmp_path) and rp.validate_results(res) == []
    assert [c[:2] for c in calls] == [("reproduce", 0.0), ("reproduce", 1.0)] and "fig1" in calls[0][2]
    assert f"derand-fast reproduce --quick --data {tmp_path}`" in (tmp_path / "out" / "REPRODUCTION.md").read_text()
