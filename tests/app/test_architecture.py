"""The import contract holds: a kernel, domains in order, a shell; and breaking it is caught.

`make lint` runs the same contract (`lint-imports`, configured in pyproject.toml).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "accounts", "triage", "dispatch", "handover", "stats", "app", "tools")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_the_import_contract():
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the code (Python files only) and its contract, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=lambda _dir, names: [
                n for n in names if not n.endswith(".py") and "." in n or n == "__pycache__"
            ],
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("module", "violation", "contract"),
    [
        ("core/db.py", "from triage import models", "core is the kernel"),
        ("triage/service.py", "from dispatch import models", "domains in order"),
        ("dispatch/service.py", "import handover.service", "domains in order"),
        ("handover/service.py", "from app import retention", "domains in order"),
        ("tools/simulator/model.py", "from tools.simulator import plan", "no import cycles"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(tree, module, violation, contract):
    with (tree / module).open("a") as source:
        source.write(f"\n{violation}  # noqa\n")
    done = _lint_imports(tree)
    assert done.returncode != 0
    broken = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), done.stdout[-3000:]


VIEW_MARKS = ("@endpoint(", "@protect(", "socketio.on_event(")


def test_no_view_commits_the_edge_does():
    # endpoint() and protect() commit once the view returns and roll back if it raises; a view
    # that commits by hand would acknowledge half a change or commit what should roll back.
    sources = {p: p.read_text() for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    views = {p: text for p, text in sources.items() if any(m in text for m in VIEW_MARKS)}
    names = {str(p.relative_to(ROOT)) for p in views}
    assert {
        "triage/routes.py",
        "triage/lifecycle.py",
        "handover/pages.py",
        "app/sockets.py",
    } <= names
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path, text in views.items()
        for number, line in enumerate(text.splitlines(), 1)
        if "session.commit(" in line
    ]
    assert offenders == []
