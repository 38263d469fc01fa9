"""The shared argument checks of derand_fast._validation (scalars and arrays)."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast._validation import SEED_MAX, check_array, check_seed


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**63 - 1, np.int64(7), np.uint64(2**63 - 1), np.int8(3), np.uint8(0)])
def test_seeds_in_the_documented_range_are_returned_as_int(seed):
    out = check_seed(seed)
    assert type(out) is int and out == int(seed)
    assert SEED_MAX == 2**63 - 1


@pytest.mark.parametrize("seed", [-1, np.int64(-5), 2**63, 2**64, np.uint64(2**64 - 1), 10**30, True, False,
                                  np.bool_(True)])
def test_seeds_outside_the_range_are_refused_naming_it(seed):
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*63 - 1\], got"):
        check_seed(seed)


@pytest.mark.parametrize("seed", [1.0, "3", None, np.float64(2.0)])
def test_non_int_seeds_are_a_type_error(seed):
    with pytest.raises(TypeError, match="random_state must be an int"):
        check_seed(seed, "random_state")


def test_the_name_is_in_the_message():
    with pytest.raises(ValueError, match="^restart_seed must"):
        check_seed(-1, name="restart_seed")


def test_check_time_limit():
    from derand_fast._validation import check_time_limit

    assert check_time_limit(None) is None and check_time_limit(2) == 2.0 and check_time_limit(np.float32(0.5)) == 0.5
    for bad in (0, -1.0, float("nan"), True, "3", np.bool_(True)):
        with pytest.raises(ValueError, match="^polish_time must be a positive number of seconds or None"):
            check_time_limit(bad, "polish_time")


@pytest.mark.parametrize("bad, error, words", [
    (np.array([True, False]), TypeError, "bool"),
    (np.array([1 + 2j]), TypeError, "complex"),
    (np.array(["a"]), TypeError, "real"),
    (np.array([object()]), TypeError, "real"),
    (np.zeros((2, 2)), ValueError, "1-D"),
    (np.zeros(0), ValueError, "empty"),
    (np.array([1.0, np.inf]), ValueError, "NaN or inf"),
    (np.array([np.nan]), ValueError, "NaN or inf"),
])
def test_check_array_refuses_naming_the_argument(bad, error, words):
    with pytest.raises(error, match=words) as info:
        check_array(bad, "theta", 1)
    assert "theta" in str(info.value)


def test_check_array_converts_reals_and_keeps_float64_without_copy():
    x = np.arange(6.0).reshape(2, 3)
    assert check_array(x, "x", 2) is x
    out = check_array(np.arange(6, dtype=np.int32).reshape(3, 2)[:, ::-1], "x", 2)
    assert out.dtype == np.float64 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, [[1, 0], [3, 2], [5, 4]])
    assert check_array([True, False], "x", allow_bool=True).tolist() == [1.0, 0.0]
    assert check_array(np.zeros((0, 3)), "x", 2, allow_empty=True).shape == (0, 3)
    assert np.isnan(check_array([np.nan], "x", finite=False)[0])
