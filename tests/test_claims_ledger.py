"""The claims ledger records every assert of a claims module, with the values it read and its reason."""
from __future__ import annotations

import sys

from toc import ROOT

sys.path.insert(0, str(ROOT / "tests" / "claims"))
from ledger import assert_count, ledger  # noqa: E402

MODULE = '''"""Claims of a test chapter.

- slope: predicted -1; band from the spread over seeds.
"""


def check(g):
    assert -1.2 <= g["slope"] <= -0.8, g["slope"]
    # round-off of a small solve
    assert g["error"] < 1e-12
    for name in ("a", "b"):
        assert g[name] > 0
'''


def test_every_assert_is_recorded_with_values_reason_and_verdict(tmp_path):
    path = tmp_path / "chapter.py"
    path.write_text(MODULE)
    entries = ledger(path, {"slope": -1.0, "error": 1e-3, "a": 1, "b": -1})
    assert [e.held for e in entries] == [True, False, True, False]
    assert entries[0].band == '-1.2 <= g["slope"] <= -0.8' and entries[0].values == {"slope": -1.0}
    assert entries[0].reason.startswith("predicted -1")
    assert entries[1].reason == "round-off of a small solve"
    assert entries[3].values == {"b": -1}  # a loop's key is evaluated
    assert assert_count(path) == 3


def test_a_missing_value_is_a_claim_that_did_not_hold(tmp_path):
    path = tmp_path / "chapter.py"
    path.write_text(MODULE)
    entries = ledger(path, {"slope": -1.0, "error": 0.0, "a": 1, "b": 1})
    assert all(e.held for e in entries)
    entries = ledger(path, {"error": 0.0, "a": 1, "b": 1})
    assert not entries[0].held and entries[0].values == {"slope": "missing"}
