"""Predict-then-reveal questions: at least two per chapter, answerable on the static website.

A question is a ``hint`` admonition of class ``predict-reveal`` holding a ``dropdown`` admonition (the answer),
which sphinx-togglebutton (served by the site itself) hides until the reader opens it. It stands before the cell
that gives its result away, and its answer quotes the run through glue or derives the result: it cannot
disagree with the figures. The static checks read the notebooks; the browser check opens every answer on the
built site, offline.
"""
from __future__ import annotations

import re

import nbformat
import pytest

from test_browser import CHROMIUM, CHROMIUM_ARGS, LOAD_TIMEOUT_MS, LOCAL_HOSTS, site  # noqa: F401 - fixture
from toc import chapter_notebooks

CHAPTERS = chapter_notebooks()
MIN_QUESTIONS = 2
QUESTION = re.compile(r"^::::\{admonition\} Predict, then reveal\n:class: hint predict-reveal\n\n(?P<question>.+?)\n\n"
                      r":::\{admonition\} Answer\n:class: dropdown\n\n(?P<answer>.+?)\n:::\n::::\s*$", re.S)
# the answer's evidence: a number of the run, or a result of the chapter it derives from
EVIDENCE = re.compile(r"\{glue:text\}|\{prf:ref\}|\{eq\}")


def questions(path) -> list[tuple[int, re.Match]]:
    nb = nbformat.read(str(path), as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and "predict-reveal" in cell.source:
            match = QUESTION.match(cell.source)
            assert match, f"{path.name} cell {i}: a predict-reveal cell must be the question box alone:\n{cell.source}"
            found.append((i, match))
    return found


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_asks_before_it_tells(notebook):
    found = questions(notebook)
    assert len(found) >= MIN_QUESTIONS, f"{notebook.name}: {len(found)} predict-then-reveal questions"
    for i, match in found:
        assert match["question"].rstrip().endswith("?"), f"{notebook.name} cell {i}: the question asks nothing"
        assert EVIDENCE.search(match["answer"]), f"{notebook.name} cell {i}: the answer cites no number or result"


def test_question_pattern_rejects_a_bare_answer():
    # negative control: an answer shown outside the dropdown is not a predict-then-reveal question
    shown = ("::::{admonition} Predict, then reveal\n:class: hint predict-reveal\n\nWhy?\n\nBecause {eq}`x`.\n"
             "::::\n")
    assert QUESTION.match(shown) is None


REVEAL_JS = """() => Array.from(document.querySelectorAll('.admonition.predict-reveal')).map(box => {
    const answer = box.querySelector('.admonition.dropdown');
    const body = answer && answer.querySelector(':scope > p');
    return {answer: !!answer, button: !!(answer && answer.querySelector('button.toggle-button')),
            hidden: !answer || answer.classList.contains('toggle-hidden') || !body
                || body.getBoundingClientRect().height === 0};
})"""


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_answers_open_on_the_offline_site(site, notebook):  # noqa: F811 - the fixture
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        blocked = []

        def route(r):
            host = re.sub(r":\d+$", "", r.request.url.split("/")[2]) if "//" in r.request.url else ""
            if r.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
                return r.continue_()
            blocked.append(r.request.url)
            return r.abort()

        page.route("**/*", route)
        page.goto(f"{site}book/{notebook.stem}.html", wait_until="load", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function("() => document.querySelector('.admonition.predict-reveal button.toggle-button')",
                               timeout=LOAD_TIMEOUT_MS)
        before = page.evaluate(REVEAL_JS)
        assert len(before) >= MIN_QUESTIONS, before
        assert all(q["answer"] and q["button"] and q["hidden"] for q in before), before
        # a reader clicks the answer's title bar (togglebutton makes the whole bar the control)
        buttons = page.locator(".admonition.predict-reveal .admonition.dropdown > .admonition-title")
        for k in range(buttons.count()):
            buttons.nth(k).click()
        page.wait_for_timeout(500)  # the toggle's CSS transition
        after = page.evaluate(REVEAL_JS)
        assert not any(q["hidden"] for q in after), after
        text = page.locator(".admonition.predict-reveal").all_inner_texts()
        assert not any("{glue" in t or "$" in t for t in text), "an answer shows raw glue or math"
        browser.close()
        assert not blocked, blocked
