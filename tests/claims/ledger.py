"""The claims ledger: every claim of a chapter, its band, the values it tested in one run, and whether it held.

A claims module ``tests/claims/<stem>.py`` states its claims as plain ``assert`` statements in ``check(g)``
(``g``: the numbers the chapter published). For the ledger each ``assert`` is rewritten to record instead of
raise: its source (the band), the published values it reads (``g["name"]``), whether it held, and the reason for
its band (a comment above the statement, or the bullet ``- name: ...`` of the module's docstring that names one
of its values). The status page shows the ledger of the build (book/_ext/build_report.py); tests/test_claims.py
checks that the ledger sees every assert. Nothing is re-stated here: the claims are the asserts.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLAIMS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Entry:
    """One claim as it ran: ``band`` is the assert's condition, ``values`` the published numbers it read."""
    line: int
    band: str
    values: dict[str, Any]
    held: bool
    reason: str


def _reasons(docstring: str) -> dict[str, str]:
    """``- name, other_name: text`` bullets of a claims module's docstring, by name."""
    out: dict[str, str] = {}
    for bullet in re.split(r"\n(?=- )", docstring or ""):
        match = re.match(r"- ([a-z0-9_, /]+?):\s*(.*)", bullet.strip(), re.S)
        if match:
            for name in re.split(r"[ ,/]+", match.group(1)):
                if name:
                    out[name] = " ".join(match.group(2).split())
    return out


def _comment_above(lines: list[str], lineno: int) -> str:
    block = []
    i = lineno - 2
    while i >= 0 and lines[i].strip().startswith("#"):
        block.insert(0, lines[i].strip().lstrip("#").strip())
        i -= 1
    trailing = lines[lineno - 1].split("#", 1)[1].strip() if "#" in lines[lineno - 1] else ""
    return " ".join(block + ([trailing] if trailing else []))


class _Recorder(ast.NodeTransformer):
    """``assert test, msg`` -> ``__claim__(lineno, lambda: test, [(lambda: key, lambda: g[key]), ...])``."""

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        # g["name"] and g[name] (a loop variable): the key and the value are both evaluated when the claim runs
        reads = [n for n in ast.walk(node.test) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
                 and isinstance(n.slice, (ast.Constant, ast.Name))]
        values = ast.List(elts=[ast.Tuple(elts=[ast.Lambda(args=_no_args(), body=r.slice),
                                                ast.Lambda(args=_no_args(), body=r)], ctx=ast.Load())
                                for r in reads], ctx=ast.Load())
        call = ast.Call(func=ast.Name("__claim__", ast.Load()),
                        args=[ast.Constant(node.lineno), ast.Lambda(args=_no_args(), body=node.test), values],
                        keywords=[])
        return ast.copy_location(ast.Expr(call), node)


def _no_args() -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])


def _safe(fn) -> tuple[bool, Any]:
    try:
        return True, fn()
    except Exception as exc:  # a claim that cannot even be evaluated (a missing name) did not hold
        return False, f"{type(exc).__name__}: {exc}"


def ledger(path: Path, glued: dict[str, Any]) -> list[Entry]:
    """Run the claims module at ``path`` on ``glued`` and return one entry per assert executed (an assert in a
    loop gives one entry per pass)."""
    source = path.read_text()
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree) or ""
    lines = source.splitlines()
    reasons = _reasons(docstring)
    bands = {n.lineno: ast.get_source_segment(source, n.test) for n in ast.walk(tree) if isinstance(n, ast.Assert)}
    entries: list[Entry] = []

    def claim(lineno: int, test, values: list) -> None:
        ok, held = _safe(test)
        read = {}
        for key_fn, value_fn in values:
            _, key = _safe(key_fn)
            got, value = _safe(value_fn)
            read[str(key)] = value if got else "missing"
        reason = _comment_above(lines, lineno) or next((reasons[n] for n in read if n in reasons), "")
        entries.append(Entry(lineno, bands[lineno], read, bool(ok and held), reason))

    code = compile(ast.fix_missing_locations(_Recorder().visit(tree)), str(path), "exec")
    namespace: dict[str, Any] = {"__claim__": claim, "__name__": f"ledger_{path.stem}", "__file__": str(path)}
    exec(code, namespace)  # noqa: S102 - the project's own claims module, rewritten above
    namespace["check"](glued)
    return entries


def assert_count(path: Path) -> int:
    """The number of assert statements in a claims module (each must reach the ledger at least once)."""
    return sum(isinstance(n, ast.Assert) for n in ast.walk(ast.parse(path.read_text())))
