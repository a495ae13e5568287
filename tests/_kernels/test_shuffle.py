import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mlfound._kernels.shuffle import shuffle_like_randomstate


@given(
    n=st.integers(0, 3000),
    seed=st.integers(0, 2**32 - 1),
    burn=st.integers(0, 700),
    dtype=st.sampled_from([np.int8, np.int32, np.int64, np.float64]),
)
def test_matches_randomstate_shuffle_and_advances_the_state(n, seed, burn, dtype):
    ours, ref = np.random.RandomState(seed), np.random.RandomState(seed)
    ours.random_sample(burn)  # start anywhere in the MT19937 block
    ref.random_sample(burn)
    a = (np.arange(n) % 100).astype(dtype)
    b = a.copy()
    shuffle_like_randomstate(a, ours)
    ref.shuffle(b)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ours.randint(0, 2**31, 5), ref.randint(0, 2**31, 5))


def test_large_array_crosses_many_state_blocks():
    a = np.arange(200_000)
    b = a.copy()
    shuffle_like_randomstate(a, np.random.RandomState(7))
    np.random.RandomState(7).shuffle(b)
    np.testing.assert_array_equal(a, b)
