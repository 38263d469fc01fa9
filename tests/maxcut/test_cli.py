"""The derand-fast command: default run, options, JSON, exit codes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from derand_fast import cli
from derand_fast.cli import main
from derand_fast.maxcut.data import builtin_graph_path
from derand_fast.runcontrol import Status

KEYS = {"n", "m", "cut", "partition", "sdp_value", "gw_best", "gw_mean", "rounding", "seed", "threads", "times"}


def test_default_command_prints_a_report_on_the_builtin_graph(capsys):
    assert builtin_graph_path().is_file()
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "G43" in out and "n = 1,000" in out and "SDP value" in out
    assert "certified upper bound" in out and "CUT" in out
    # the default rounding is the derandomized one, shown next to the GW baseline
    assert "derand-exact rounding" in out and "GW best of 1000" in out


def test_maxcut_options_and_json(tmp_path, capsys):
    f = tmp_path / "tri.txt"
    f.write_text("4 4\n1 2 1\n2 3 1\n3 1 1\n3 4 2\n")
    out = tmp_path / "r.json"
    assert main(["maxcut", str(f), "--rank", "3", "--seed", "2", "--threads", "1", "--hyperplanes", "16",
                 "--rounding", "gw", "--no-local-search", "--time-limit", "30", "--json", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    d = json.loads(out.read_text())
    assert KEYS <= set(d)
    assert d["n"] == 4 and d["m"] == 4 and d["seed"] == 2 and d["threads"] == 1 and d["rounding"] == "gw"
    assert d["cut"] == 4.0  # triangle cut 2 + the weight-2 pendant edge
    assert d["sdp"]["rank"] == 3 and d["params"]["local_search"] == "none" and d["local_search"] == {}
    assert all(v in (-1, 1) for v in d["partition"])


@pytest.mark.parametrize("flags,method", [([], "anneal"), (["--local-search", "1flip"], "1flip"),
                                          (["--local-search", "tabu", "--local-search-moves", "500"], "tabu"),
                                          (["--local-search", "none"], None)])
def test_local_search_choice(flags, method, tmp_path):
    out = tmp_path / "r.json"
    assert main([*flags, "--hyperplanes", "16", "--threads", "1", "--json", str(out), "--quiet"]) == 0
    d = json.loads(out.read_text())
    assert d["params"]["local_search"] == (method or "none")
    assert d["local_search"].get("method") == method
    if method is not None:
        assert d["cut"] >= d["rounding_cut"]
    if "--local-search-moves" in flags:
        assert d["local_search"]["moves"] == 500 and d["params"]["local_search_moves"] == 500


def test_local_search_time_caps_the_tabu_search(tmp_path):
    out = tmp_path / "r.json"
    assert main(["--local-search", "tabu", "--local-search-moves", str(10**12), "--local-search-time", "0.3",
                 "--hyperplanes", "16", "--threads", "1", "--json", str(out), "--quiet"]) == 0
    d = json.loads(out.read_text())
    assert d["local_search"]["status"] == Status.TIME_LIMIT and d["status"] == 0 and d["times"]["local_search"] < 5


def test_former_polish_flags_are_hidden_aliases(tmp_path, capsys):
    runs = {}
    for flag in ("--local-search-moves", "--polish-moves"):
        out = tmp_path / f"{flag}.json"
        assert main(["--local-search", "tabu", flag, "300", "--hyperplanes", "16", "--threads", "1",
                     "--json", str(out), "--quiet"]) == 0
        runs[flag] = json.loads(out.read_text())
        err = capsys.readouterr().err
        assert ("--polish-moves is deprecated: use --local-search-moves" in err) == (flag == "--polish-moves")
    new, old = runs["--local-search-moves"], runs["--polish-moves"]
    assert old["params"]["local_search_moves"] == old["local_search"]["moves"] == 300
    assert old["cut"] == new["cut"] and old["partition"] == new["partition"]
    parser = argparse.ArgumentParser()
    cli._pipeline_arguments(parser)
    assert "--polish" not in parser.format_help()


def test_same_seed_same_json_cut_across_threads(tmp_path, two_threads):
    f = builtin_graph_path()
    outs = []
    for t in (1, two_threads):
        p = tmp_path / f"t{t}.json"
        assert main([str(f), "--threads", str(t), "--hyperplanes", "64", "--json", str(p), "--quiet"]) == 0
        outs.append(json.loads(p.read_text()))
    assert outs[0]["cut"] == outs[1]["cut"] and outs[0]["partition"] == outs[1]["partition"]


@pytest.mark.parametrize("argv,match", [
    (["maxcut", "/nonexistent/graph.txt"], "no such file"),
    (["maxcut", "."], "is a directory"),
    (["maxcut", "--rank", "0"], "--rank"),
    (["maxcut", "--hyperplanes", "x"], "--hyperplanes"),
    (["maxcut", "--rounding", "nope"], "--rounding"),
    (["maxcut", "--local-search", "2flip"], "--local-search"),
    (["maxcut", "--local-search-moves", "-1"], "--local-search-moves"),
    (["maxcut", "--local-search-time", "0"], "--local-search-time"),
    (["maxcut", "--polish-moves", "-1"], "--polish-moves"),
    (["maxcut", "--json", "/nonexistent/dir/r.json"], "--json"),
])
def test_bad_input_exit_code_2(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err


def test_bad_file_one_line_message(tmp_path, capsys):
    f = tmp_path / "bad.txt"
    f.write_text("3 2\n1 2 1\n2 x 1\n")
    assert main(["maxcut", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.txt" in err and "line 3" in err


def test_console_entry_point_runs_as_a_process(tmp_path):
    f = tmp_path / "sq.txt"
    f.write_text("0 1\n1 2\n2 3\n3 0\n")
    p = subprocess.run([sys.executable, "-m", "derand_fast.cli", "maxcut", str(f), "--hyperplanes", "8"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "CUT" in p.stdout and p.stderr == ""
    bad = subprocess.run([sys.executable, "-m", "derand_fast.cli", "maxcut", str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_qubo_and_ising_commands_agree_with_the_python_api(tmp_path):
    from derand_fast.ising import read_ising, read_qubo, solve_ising, solve_qubo

    q = tmp_path / "q.sparse"
    q.write_text("3 4\n1 1 -1\n1 2 2\n2 2 -1\n3 3 -2\n")  # x'Qx with Q12 = Q21 = 2: optimum x = (1, 0, 1), -3
    r = subprocess.run([sys.executable, "-m", "derand_fast.cli", "qubo", str(q), "--json", "-"],
                       capture_output=True, text=True, timeout=120)
    d = json.loads(r.stdout)
    assert r.returncode == 0 and d["energy"] == -3.0 == solve_qubo(read_qubo(q)).energy and d["optimal"]
    i = tmp_path / "i.txt"
    i.write_text("1 2 1\n2 3 1\n1 3 1\n1 0.5\n")  # a frustrated triangle with a field on spin 1
    out = tmp_path / "i.json"
    r = subprocess.run([sys.executable, "-m", "derand_fast.cli", "ising", str(i), "--quiet", "--json", str(out)],
                       capture_output=True, text=True, timeout=120)
    h, J = read_ising(i)
    assert r.returncode == 0 and json.loads(out.read_text())["energy"] == solve_ising(h, J).energy == -1.5
    r = subprocess.run([sys.executable, "-m", "derand_fast.cli", "qubo", str(tmp_path / "missing.sparse")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_importing_the_command_module_stays_light():
    # MAXCUT, Numba and SciPy load when a subcommand needs them (building the parser lists the roundings)
    code = ("import sys, derand_fast.cli; "
            "print(sorted(m for m in ('numba', 'scipy', 'matplotlib', 'derand_fast.maxcut') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_reproduce_help_names_the_data_variable(capsys):
    from derand_fast.maxcut.data import DATA_ENV

    assert main(["reproduce", "--help"]) == 0
    assert f"${DATA_ENV}" in capsys.readouterr().out.replace("\n", " ")
