from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

# Distinctive, so a test can look for it anywhere in the output.
SECRET = "s3cr3t-Community-9f2"
TRAP_SECRET = "trap-S3cr3t-77a"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def run_import(path: Path, *args: str) -> Run:
    """The command as `manage.py` runs it: its output and the exit code it would give."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_inventory", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        # manage.py prints "CommandError: ..." to stderr and exits with returncode.
        err.write(f"CommandError: {exc}\n")
        return Run(exc.returncode, out.getvalue(), err.getvalue())
    return Run(0, out.getvalue(), err.getvalue())


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[[str], Path]:
    """Writes a CSV (dedented, so tests can indent it) and returns its path."""

    def write(text: str, *, encoding: str = "utf-8") -> Path:
        path = tmp_path / "inventory.csv"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding=encoding)
        return path

    return write
