"""The CSV cells of per_mixture.csv and per_source.csv: one rule for every value, whatever its type."""
from __future__ import annotations

import csv
import io

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from s5eval.results.files import _write_csv


def _cell_as_specified(value) -> str:
    """The rule the files follow: "" for None, true/false for booleans, floats rounded to 6 decimals in their
    shortest form, everything else as str()."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=12),
                   st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e3, 1e3).map(np.float64))


@given(st.lists(st.lists(VALUES, min_size=3, max_size=3), max_size=8))
def test_every_cell_follows_the_rule(rows):
    columns = ("a", "b", "c")
    handle = io.StringIO()
    _write_csv(handle, columns, [dict(zip(columns, row)) for row in rows])
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_cell_as_specified(v) for v in row] for row in rows])
    assert handle.getvalue() == expected.getvalue()


def test_a_missing_column_is_an_empty_cell():
    handle = io.StringIO()
    _write_csv(handle, ("soundscape", "sdri"), [{"soundscape": "mix_1"}, {"soundscape": "mix_2", "sdri": 1.23456789}])
    assert handle.getvalue() == "soundscape,sdri\nmix_1,\nmix_2,1.234568\n"
