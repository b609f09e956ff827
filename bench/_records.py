"""What every benchmark shares: its JSON-lines results files and the commit that produced them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any


def read_records(paths: Path | Iterable[Path], *, missing_ok: bool = False) -> list[dict[str, Any]]:
    """Every record of one or several JSON-lines files, in order.

    ``missing_ok`` reads a missing file as empty (a run that has not started yet).
    """
    records: list[dict[str, Any]] = []
    for path in [paths] if isinstance(paths, Path) else paths:
        if missing_ok and not path.exists():
            continue
        with path.open() as fh:
            records += [json.loads(line) for line in fh if line.strip()]
    return records


@cache
def tunesmith_commit() -> str:
    """tunesmith's commit, with ``+dirty`` when ``src/`` has uncommitted changes."""
    root = str(Path(__file__).resolve().parents[1])

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", root, *args], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    try:
        return git("rev-parse", "--short", "HEAD") + (
            "+dirty" if git("status", "-s", "src") else ""
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
