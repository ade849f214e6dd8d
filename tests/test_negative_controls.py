"""Negative controls: each chapter's claims, fed the numbers a wrong theory would give (a biased formula, the
wrong exponent, the other centring), must fail. Each claims module lists such controls in NEGATIVE_CONTROLS
(description -> function of the published numbers); they run on the chapter's seed-0 quick run."""
from __future__ import annotations

import pytest

from notebook_run import execute, glued_values
from test_notebooks import CHAPTERS, IDS, SEEDS, load_claims

MIN_CONTROLS = 2


@pytest.mark.parametrize("notebook", CHAPTERS, ids=IDS)
def test_wrong_predictions_fail_the_claims(notebook):
    claims = load_claims(notebook.stem)
    controls = getattr(claims, "NEGATIVE_CONTROLS", {})
    assert len(controls) >= MIN_CONTROLS, f"{notebook.stem}: at least {MIN_CONTROLS} negative controls expected"
    glued = glued_values(execute(notebook, SEEDS[0]))
    claims.check(glued)  # the real numbers pass (also checked by test_notebooks)
    passed = []
    for description, wrong in controls.items():
        try:
            claims.check(wrong(dict(glued)))
        except AssertionError:
            continue
        passed.append(description)
    assert not passed, f"{notebook.stem}: claims hold even for the wrong theory: {passed}"
