"""The shared scalar checks of derand_fast._validation."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast._validation import SEED_MAX, check_seed


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
