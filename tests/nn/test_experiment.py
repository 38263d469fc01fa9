"""Experiment runner: tidy grid table, Fig. 3 files, default teachers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from derand_fast.nn.experiment import default_teacher, plot_weights, reproduce_fig3, run_grid


def test_run_grid_returns_one_row_per_point():
    rows = run_grid(d=[2, 3], k=[1], h=[8], n=[32], train_biases=[True, False], steps=5, certificate=False,
                    threads=1)
    assert len(rows) == 4
    assert [(r["d"], r["train_biases"]) for r in rows] == [(2, True), (2, False), (3, True), (3, False)]
    for r in rows:
        assert r["status"] == "max_iter" and r["nit"] == 5
        assert 0.0 <= r["ratio"] <= 1.0 and np.isfinite(r["perp_norm"])
        assert np.isnan(r["grad_norm"])  # no certificate requested


def test_run_grid_with_certificate_and_results():
    rows, results = run_grid(d=[3], k=[2], h=[6], n=[64], lam=[1e-2], train_biases=[True, False], steps=3,
                             threads=1, return_results=True)
    assert len(rows) == len(results) == 2
    for r, res in zip(rows, results):
        assert np.isfinite(r["lambda_min"]) and r["grad_norm"] > 0
        assert res.certificate is not None
    # Lemma 3.1's argument needs the Hessian in b: no bound with the biases frozen
    assert rows[1]["perp_bound"] == np.inf


def test_reproduce_fig3_writes_pngs_and_json(tmp_path):
    summary = reproduce_fig3(tmp_path, h=12, steps=20, batch_size=32, history_every=10, certificate=False,
                             threads=1)
    for name in ("fig3_weights.png", "fig3_metrics.png", "fig3.json"):
        assert (tmp_path / name).stat().st_size > 1000
    data = json.loads((tmp_path / "fig3.json").read_text())
    assert data["settings"]["batch_size"] == 32
    assert set(data) >= {"biases_trained", "biases_frozen"}
    assert data["biases_trained"]["ratio"] == pytest.approx(summary["runs"]["biases_trained"].metrics["ratio"])
    assert data["biases_trained"]["history"]["step"] == [0, 10, 20]


def test_default_teacher():
    t = default_teacher(6, 3, seed=1)
    np.testing.assert_allclose(t.U_ @ t.U_.T, np.eye(3), atol=1e-14)
    np.testing.assert_array_equal(default_teacher(6, 3, seed=1).U_, t.U_)
    with pytest.raises(ValueError, match="k must"):
        default_teacher(2, 3)


def test_plot_weights_bad_input(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        plot_weights(np.zeros((3, 3)), np.zeros((3, 3)), np.eye(3)[:1], tmp_path / "x.png")
