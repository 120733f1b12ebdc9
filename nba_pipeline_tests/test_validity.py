"""`invalid_rows`: for each row the first rule it breaks, the key rule before every other."""

import pandas as pd

from nba_pipeline.validity import invalid_rows


def test_each_row_gets_the_first_rule_it_breaks():
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 4, 5],
            "abs_error": [3.0, 150.0, 150.0, 1.0, 2.0, None],
            "result": ["hit", "miss", "bogus", "bogus", "push", "pass"],
        },
        index=[10, 11, 12, 13, 14, 15],
    )
    reasons = invalid_rows("prediction_accuracy", frame, ("id",))
    assert reasons.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert reasons.tolist() == [
        "",
        "abs_error missing or outside 0-100",
        "abs_error missing or outside 0-100",  # also not a known result: the first rule is reported
        "duplicate key (id)",
        "duplicate key (id)",
        "abs_error missing or outside 0-100",  # missing
    ]


def test_no_rules_and_no_rows():
    assert invalid_rows("no_such_table", pd.DataFrame({"a": [1, 1]}), ("a",)).tolist() == [
        "duplicate key (a)",
        "duplicate key (a)",
    ]
    assert invalid_rows("no_such_table", pd.DataFrame({"a": [1, 2]})).tolist() == ["", ""]
    empty = invalid_rows("prediction_accuracy", pd.DataFrame({"abs_error": [], "result": []}))
    assert empty.tolist() == []
