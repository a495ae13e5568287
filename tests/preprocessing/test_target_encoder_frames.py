"""TargetEncoder on string columns of every kind: NumPy, pandas, polars, pyarrow."""

import numbers

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import TargetEncoder as SkTargetEncoder

from mlfound.preprocessing import TargetEncoder
from mlfound.utils import _arrow_strings
from mlfound.utils._encode import fit_codes, lookup_codes

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")

ATOL = 1e-10
_SK_TAKES_SPLITTERS = "cv_object" in SkTargetEncoder._parameter_constraints["cv"]


def _kinds(columns):
    """The same string columns (None = missing) as every supported input kind."""
    names = [f"f{j}" for j in range(len(columns))]
    lists = [list(c) for c in columns]
    obj = np.empty((len(lists[0]), len(lists)), dtype=object)
    for j, c in enumerate(lists):
        obj[:, j] = c
    return {
        "numpy_object": obj,
        "pandas_object": pd.DataFrame(
            {n: pd.Series(c, dtype=object) for n, c in zip(names, lists, strict=True)}
        ),
        "pandas_string_pyarrow": pd.DataFrame(
            {
                n: pd.Series(c, dtype="string[pyarrow]")
                for n, c in zip(names, lists, strict=True)
            }
        ),
        "pandas_arrow_large_string": pd.DataFrame(
            {
                n: pd.Series(c, dtype=pd.ArrowDtype(pa.large_string()))
                for n, c in zip(names, lists, strict=True)
            }
        ),
        "pandas_categorical": pd.DataFrame(
            {n: pd.Categorical(c) for n, c in zip(names, lists, strict=True)}
        ),
        "polars_string": pl.DataFrame(
            {
                n: pl.Series(n, c, dtype=pl.String)
                for n, c in zip(names, lists, strict=True)
            }
        ),
        "polars_categorical": pl.DataFrame(
            {
                n: pl.Series(n, c, dtype=pl.Categorical)
                for n, c in zip(names, lists, strict=True)
            }
        ),
        "polars_enum": pl.DataFrame(
            {
                n: pl.Series(
                    n, c, dtype=pl.Enum(sorted({v for v in c if v is not None}))
                )
                for n, c in zip(names, lists, strict=True)
            }
        ),
        "pyarrow_table": pa.table(
            {n: pa.array(c, pa.string()) for n, c in zip(names, lists, strict=True)}
        ),
        "pyarrow_chunked": pa.table(
            {
                n: pa.chunked_array(
                    [pa.array(c[:7], pa.large_string()), pa.array(c[7:], pa.string())][
                        :1
                    ]
                    + [pa.array(c[7:], pa.large_string())]
                )
                for n, c in zip(names, lists, strict=True)
            }
        ),
    }


# Old pandas (2.0 among them) hashes object strings as C strings, so "a" and
# "a\x00" are one category in its own Categorical and factorize: the pandas
# Categorical input would differ before mlfound sees it.
_PANDAS_MERGES_NUL = len(pd.unique(np.array(["a", "a\x00"], dtype=object))) == 1


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    words = ["", "a", "b", "ä", "日本", "x" * 5000, "a\x00", "Z"]
    if _PANDAS_MERGES_NUL:
        words.remove("a\x00")
    words = np.array(words, dtype=object)
    c0 = words[rng.integers(0, len(words), n)]
    c0[rng.random(n) < 0.08] = None
    ids = np.array([f"id{k}" for k in range(120)], dtype=object)
    c1 = ids[rng.integers(0, 120, n)]
    y = (rng.random(n) < 0.4).astype(int)
    return [c0, c1], y


def test_every_input_kind_encodes_like_sklearn_on_object_arrays():
    (c0, c1), y = _data()
    kinds = _kinds([c0, c1])
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    X_obj = kinds["numpy_object"]
    if _SK_TAKES_SPLITTERS:
        ref = SkTargetEncoder(cv=cv, smooth=3.0)
        ref_train = ref.fit_transform(X_obj, y)
    new = np.array([["a", "never"], [None, "id3"], ["日本", ""]], dtype=object)
    outputs = {}
    for kind, X in kinds.items():
        enc = TargetEncoder(cv=cv, smooth=3.0)
        train = enc.fit_transform(X, y)
        test = enc.transform(_kinds([new[:, 0], new[:, 1]])[kind])
        outputs[kind] = (train, test, enc)
        if kind != "numpy_object":
            assert enc.feature_names_in_.tolist() == ["f0", "f1"]
    train0, test0, enc0 = outputs["numpy_object"]
    for kind, (train, test, enc) in outputs.items():
        np.testing.assert_array_equal(train, train0, err_msg=kind)
        np.testing.assert_array_equal(test, test0, err_msg=kind)
        for a, b in zip(enc.categories_, enc0.categories_, strict=True):
            assert [v for v in a.tolist() if isinstance(v, str)] == [
                v for v in b.tolist() if isinstance(v, str)
            ]
    # Unknown ("never") and missing rows: the prior and the missing category.
    assert test0[0, 1] == enc0.target_mean_
    missing_code = len(enc0.categories_[0]) - 1
    assert test0[1, 0] == enc0.encodings_[0][missing_code]
    if _SK_TAKES_SPLITTERS:
        np.testing.assert_allclose(train0, ref_train, rtol=0, atol=ATOL)
        np.testing.assert_allclose(test0, ref.transform(new), rtol=0, atol=ATOL)
        for a, b in zip(enc0.categories_, ref.categories_, strict=True):
            assert a[:-1].tolist() == b[:-1].tolist() or a.tolist() == b.tolist()


@pytest.mark.parametrize("handle_missing", ["value", "error"])
def test_missing_and_unknown_policies_agree_across_kinds(handle_missing):
    (c0, c1), y = _data(n=60, seed=1)
    new = [
        np.array(["a", "zzz", None], dtype=object),
        np.array(["id1"] * 3, dtype=object),
    ]
    results = {}
    for kind, X in _kinds([c0, c1]).items():
        enc = TargetEncoder(cv=KFold(3), handle_missing=handle_missing)
        if handle_missing == "error":
            with pytest.raises(ValueError, match="contains missing values"):
                enc.fit(X, y)
            continue
        enc.fit(X, y)
        results[kind] = enc.transform(_kinds(new)[kind])
        strict = TargetEncoder(handle_unknown="error").fit(X, y)
        with pytest.raises(ValueError, match=r"unknown categories \['zzz'\]"):
            strict.transform(_kinds(new)[kind])
    for kind, out in results.items():
        np.testing.assert_array_equal(out, results["numpy_object"], err_msg=kind)
        # handle_missing="value": missing and unknown rows get the prior.
        assert out[1, 0] == out[2, 0]


def test_sklearn_reference_on_a_pandas_arrow_frame_with_int_cv():
    (c0, c1), y = _data(n=300, seed=2)
    X = _kinds([c0, c1])["pandas_string_pyarrow"]
    ours = TargetEncoder(cv=5, random_state=0, smooth=2.0)
    if isinstance(SkTargetEncoder().cv, numbers.Integral):
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        ref = SkTargetEncoder(cv=cv if _SK_TAKES_SPLITTERS else 5, smooth=2.0)
        if not _SK_TAKES_SPLITTERS:
            ref.set_params(shuffle=True, random_state=0)
        X_obj = _kinds([c0, c1])["numpy_object"]
        np.testing.assert_allclose(
            ours.fit_transform(X, y), ref.fit_transform(X_obj, y), rtol=0, atol=ATOL
        )


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.just(float("nan")),
            st.text(max_size=3),
            st.text(min_size=200, max_size=400),
        ),
        min_size=2,
        max_size=30,
    )
)
def test_hypothesis_string_columns_code_the_same_as_python(values):
    column = np.array(values, dtype=object)
    try:
        "".join(v for v in values if isinstance(v, str)).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: not valid in Arrow strings
        return
    kw = {"handle_missing": "category", "handle_unknown": "value", "name": "x"}
    cats, codes = fit_codes(column, categories="auto", **kw)
    present = sorted({v for v in values if isinstance(v, str)})
    has_missing = any(not isinstance(v, str) for v in values)
    assert [c for c in cats.tolist() if isinstance(c, str)] == present
    assert len(cats) == len(present) + has_missing
    expected = [
        present.index(v) if isinstance(v, str) else len(present) for v in values
    ]
    assert codes.tolist() == expected
    for series in (
        pa.array(
            [v if isinstance(v, str) else None for v in values], pa.large_string()
        ),
        pl.Series([v if isinstance(v, str) else None for v in values], dtype=pl.String),
    ):
        cats2, codes2 = fit_codes(series, categories="auto", **kw)
        assert codes2.tolist() == expected
        assert cats2.tolist()[: len(present)] == present
        assert lookup_codes(series, cats, **kw).tolist() == expected


def _buffers(strings_list):
    array = pa.array(strings_list, pa.large_string())
    return _arrow_strings._checked_buffers(array)


@pytest.mark.parametrize(
    ("known", "other"),
    [("ab", "cd"), ("abcdefg-known", "abcdefg-other")],  # short; long, same key
)
def test_string_kernels_resolve_hash_collisions_by_bytes(known, other):
    # A table whose only entry, ``known``, claims the slot and hash tag of
    # ``other`` (and, for long strings, has its key: the same first 7
    # bytes): a kernel that trusted hashes would code ``other`` as ``known``.
    from mlfound._kernels import strings

    k_off, k_data, _, _ = _buffers([known])
    off, data, valid, bit0 = _buffers([other, known])
    key, _ = strings._key_hash(k_data, 0, int(k_off[1]))
    _, h = strings._key_hash(data, 0, int(off[1]))

    def claim(slots):
        slots[:] = 0
        slot = (int(h) >> int(strings._table_shift(len(slots)))) & (len(slots) - 1)
        slots[slot, 0] = key
        slots[slot, 1] = np.uint64((int(h) & 0xFFFFFFFF00000000) | 1)  # code 0

    slots = strings._build_lookup(k_off, k_data)
    claim(slots)
    out = np.empty(2, dtype=np.int32)
    strings._lookup_chunk(off, data, valid, bit0, out, 0, slots, k_off, k_data)
    assert out[0] == -1
    state = strings._new_state(4, 0)
    first = np.empty(1, np.int32)
    state = strings._factorize_chunk(k_off, k_data, valid, 0, first, 0, state)
    claim(state[0])
    codes = np.empty(2, dtype=np.int32)
    state = strings._factorize_chunk(off, data, valid, bit0, codes, 0, state)
    u_offsets, u_data, n_uniques = state[1:]
    # ``other`` is new; ``known`` (whose own slot was emptied) is new again.
    assert codes.tolist() == [1, 2] and n_uniques == 3
    assert bytes(u_data[u_offsets[1] : u_offsets[2]]) == other.encode()


def test_sliced_arrays_and_corrupt_buffers():
    values = ["a", None, "bb", "a", "c", None, "bb"]
    array = pa.array(values, pa.string()).slice(2, 4)  # offset into the buffers
    codes, cats = _arrow_strings.factorize_strings([array])
    assert cats.tolist() == ["a", "bb", "c"]
    assert codes.tolist() == [1, 0, 2, -1]
    ok = pa.array(["ab", "c"], pa.string())
    validity, offsets, data = ok.buffers()

    class Corrupt:  # pyarrow refuses to build such arrays; other producers may not
        type = pa.string()
        null_count = 0

        def __init__(self, offsets, n=2, offset=0):
            self.bufs, self.n, self.offset = offsets, n, offset

        def __len__(self):
            return self.n

        def buffers(self):
            return [None, pa.py_buffer(np.asarray(self.bufs, np.int32)), data]

    for broken in ([0, 2, 1], [0, 2, 99], [-1, 1, 3]):
        with pytest.raises(ValueError, match="offsets"):
            _arrow_strings.factorize_strings([Corrupt(broken)])
    with pytest.raises(ValueError, match="offsets"):
        _arrow_strings.factorize_strings([Corrupt([0, 2, 3], n=5)])
    with pytest.raises(ValueError, match="offsets"):
        _arrow_strings.factorize_strings([Corrupt([0, 2, 3], n=2, offset=1)])


def test_partial_fit_merges_string_batches_of_any_kind():
    (c0, c1), y = _data(n=200, seed=3)
    full = TargetEncoder(smooth=1.0).fit(_kinds([c0, c1])["numpy_object"], y)
    kinds = _kinds([c0, c1])
    enc = TargetEncoder(smooth=1.0)
    enc.partial_fit(kinds["polars_string"][:120], y[:120])
    enc.partial_fit(kinds["pyarrow_table"].slice(120), y[120:])
    for a, b in zip(enc.encodings_, full.encodings_, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)
