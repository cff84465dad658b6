"""`make bench`: run every benchmark script and print their figures (never part of `make test`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ["bench_ranking.py", "--runs", "200"],
    ["bench_fanout.py", "--consoles", "50", "200", "500", "--rounds", "20"],
]


def main() -> int:
    """Run each benchmark in turn; fail if any fails."""
    status = 0
    for script, *args in SCRIPTS:
        print(f"== {script} {' '.join(args)}", flush=True)
        result = subprocess.run([sys.executable, str(HERE / script), *args], check=False)
        status = status or result.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
