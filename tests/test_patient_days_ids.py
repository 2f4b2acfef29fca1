"""Coding patient ids by runs (trialkit.patient_days.id_codes, lookup, run_starts).

The reference is pandas itself: ``id_codes(ids)`` must equal ``pandas.factorize(ids)[0]``
and ``lookup(index, ids)`` must equal ``index.get_indexer(ids)``, element for element, on
every layout the shortcuts treat differently: one shared object per patient (as load_trial
returns text ids), one object per row, equal ids held as different objects, rows not sorted
by id, a patient whose rows are split into two runs, missing ids, mixed types, integer ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialkit.patient_days import id_codes, lookup, run_starts


def fresh(text: str) -> str:
    """An equal string that is a new object (not the interned or cached one)."""
    return "".join(list(text))


def layouts(patients: list[int], rows_per: list[int], how: str) -> pd.Series:
    names = [f"P-{p:04d}" for p in patients]
    shared = {n: fresh(n) for n in names}
    ids = []
    for name, k in zip(names, rows_per, strict=True):
        for _ in range(k):
            ids.append(shared[name] if how == "shared" else fresh(name))
    return pd.Series(np.array(ids, dtype=object))


@settings(max_examples=150, deadline=None)
@given(
    patients=st.lists(st.integers(0, 30), min_size=0, max_size=25),
    data=st.data(),
    how=st.sampled_from(["shared", "per_row"]),
)
def test_id_codes_equal_pandas_factorize(patients, data, how):
    rows_per = data.draw(st.lists(st.integers(1, 6), min_size=len(patients),
                                  max_size=len(patients)))  # fmt: skip
    ids = layouts(patients, rows_per, how)
    assert np.array_equal(id_codes(ids), pd.factorize(ids)[0])
    index = pd.Index(pd.unique(ids))
    assert np.array_equal(lookup(index, ids), index.get_indexer(ids))
    if len(ids):
        starts = run_starts(ids.to_numpy())
        # Every boundary between different values is a run start.
        v = ids.to_numpy()
        must = np.r_[0, np.flatnonzero(v[1:] != v[:-1]) + 1]
        assert set(must) <= set(starts.tolist())


@pytest.mark.parametrize(
    "values",
    [
        ["b", "b", "a", "a", "c"],  # runs, not sorted
        ["a", "a", "b", "b", "a", "a"],  # one patient in two runs
        ["a", None, None, "b", "b"],  # missing ids
        ["a", "a", float("nan"), float("nan"), "b"],
        [1, 1, "1", "1", 2, 2],  # mixed types
        [3, 3, 1, 1, 2],
        ["x"],
        [],
    ],
)
def test_id_codes_special_layouts(values):
    shared: dict[object, object] = {}
    objs = [shared.setdefault((type(v), v) if v == v else "nan", v) for v in values]
    ids = pd.Series(np.array(objs, dtype=object))
    assert np.array_equal(id_codes(ids), pd.factorize(ids)[0])


def test_id_codes_equal_values_as_different_objects():
    # Sorted runs, but the second patient's rows are split between two equal objects.
    a, b1, b2 = "PT-A", fresh("PT-B"), fresh("PT-B")
    assert b1 is not b2
    ids = pd.Series(np.array([a, a, b1, b1, b2, b2, a], dtype=object))
    assert id_codes(ids).tolist() == [0, 0, 1, 1, 1, 1, 0]
    ids = pd.Series(np.array([a, a, b1, b1, b2, b2], dtype=object))  # sorted
    assert id_codes(ids).tolist() == [0, 0, 1, 1, 1, 1]
    ids = pd.Series(np.array([b1, b1, a, b2, b2], dtype=object))  # not sorted
    assert id_codes(ids).tolist() == [0, 0, 1, 0, 0]


def test_id_codes_integer_and_categorical_ids():
    ids = pd.Series([5, 5, 2, 2, 9])
    assert id_codes(ids).tolist() == pd.factorize(ids)[0].tolist()
    cat = pd.Series(["b", "b", "a"], dtype="category")
    assert id_codes(cat).tolist() == cat.cat.codes.tolist()
