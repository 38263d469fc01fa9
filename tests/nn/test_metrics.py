"""Subspace metrics against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derand_fast.nn.metrics import perp_norm, principal_angles, sosp_perp_bound, subspace_metrics


def test_perp_norm_and_ratio_closed_form():
    U = np.array([[1.0, 0.0, 0.0]])
    W = np.array([[3.0, 4.0, 0.0], [1.0, 0.0, 2.0]])
    assert perp_norm(W, U) == pytest.approx(math.sqrt(16 + 4), rel=1e-15)
    m = subspace_metrics(W, U)
    assert m["par_norm"] == pytest.approx(math.sqrt(10))
    assert m["ratio"] == pytest.approx(math.sqrt(20 / 30))
    assert subspace_metrics(np.zeros((3, 3)), U)["ratio"] == 0.0


def test_principal_angle_of_rotated_rows():
    U = np.array([[1.0, 0.0]])
    t = 0.3
    W = np.array([[math.cos(t), math.sin(t)]]) * np.array([[1.0], [-2.0], [0.5]])  # rank one, angle t
    np.testing.assert_allclose(principal_angles(W, U), [t], rtol=1e-12)
    assert subspace_metrics(W, U)["max_angle_deg"] == pytest.approx(math.degrees(t))


def test_sosp_perp_bound():
    assert sosp_perp_bound(1e-3, 0.0, 0.01) == pytest.approx(0.05)
    assert sosp_perp_bound(1e-3, -0.01, 0.01) == pytest.approx(0.1)
    assert sosp_perp_bound(1e-3, -0.03, 0.01) == math.inf


def test_bad_input():
    with pytest.raises(ValueError, match="orthonormal"):
        perp_norm(np.ones((2, 2)), [[1.0, 1.0]])
    with pytest.raises(ValueError, match="U must have shape"):
        perp_norm(np.ones((2, 2)), [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="W contains NaN or inf"):
        perp_norm(np.full((2, 2), np.nan), [[1.0, 0.0]])
    with pytest.raises(TypeError, match="W must be a real .* got bool"):
        perp_norm(np.ones((2, 2), dtype=bool), [[1.0, 0.0]])
    with pytest.raises(ValueError, match="lambda_min"):
        sosp_perp_bound(1.0, float("nan"), 1.0)
