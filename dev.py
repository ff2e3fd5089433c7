#!/usr/bin/env python3
"""One entry point for developers and CI. Standard library only.

    python3 dev.py demo [args]    install, then run `manage.py demo` (web + simulated fleet)
    python3 dev.py test [args]    install, then pytest (args go to it), ruff, ruff format, mypy
    python3 dev.py pytest [args]  install, then pytest only
    python3 dev.py lint           install, then ruff, ruff format --check and mypy only
    python3 dev.py install        create .venv and install the project with its dev extras

The virtualenv is `.venv` beside this file. `pip install -e '.[dev]'` runs again only when
pyproject.toml changes (its hash is kept in .venv/unms-install.stamp).
"""

import sys

if sys.version_info < (3, 11):  # noqa: UP036 - the point is to fail clearly on old Pythons
    sys.exit(
        f"dev.py needs Python 3.11 or newer; this is {sys.version.split()[0]} "
        f"({sys.executable}).\nRun it with a newer one, e.g. `python3.11 dev.py ...`."
    )

import hashlib
import os
import subprocess
import time
import tomllib
import venv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / "unms-install.stamp"
USAGE = __doc__ or ""


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def install_fingerprint() -> str:
    """What the installed environment depends on: pyproject.toml and the venv's Python."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(str(PYTHON.resolve()).encode())
    return digest.hexdigest()


def ensure_installed() -> None:
    if not PYTHON.exists():
        say(f"creating {VENV.relative_to(ROOT)} with Python {sys.version.split()[0]}")
        try:
            venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.exit(
                f"[dev.py] could not create {VENV}: {exc}\n"
                "On Debian/Ubuntu install the venv module first: apt-get install python3-venv"
            )
    fingerprint = install_fingerprint()
    if STAMP.exists() and STAMP.read_text().strip() == fingerprint:
        return
    say("installing the project and its dev tools: pip install -e '.[dev]' (first time: minutes)")
    started = time.monotonic()
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    if subprocess.run([*pip, "-e", ".[dev]"], cwd=ROOT).returncode != 0:
        STAMP.unlink(missing_ok=True)
        sys.exit("[dev.py] pip install failed (see above); nothing was run.")
    STAMP.write_text(fingerprint + "\n")
    say(f"installed in {time.monotonic() - started:.0f}s")


def mypy_args() -> list[str]:
    """`mypy` alone when pyproject.toml names the files to check, else `mypy .`."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    configured = config.get("tool", {}).get("mypy", {}).get("files")
    return [] if configured else ["."]


def steps(pytest_args: Sequence[str], *, tests: bool, lint: bool) -> list[tuple[str, list[str]]]:
    py = [str(PYTHON), "-m"]
    planned: list[tuple[str, list[str]]] = []
    if tests:
        planned.append(("pytest", [*py, "pytest", *pytest_args]))
    if lint:
        planned += [
            ("ruff check", [*py, "ruff", "check", "."]),
            ("ruff format", [*py, "ruff", "format", "--check", "."]),
            ("mypy", [*py, "mypy", *mypy_args()]),
        ]
    return planned


def run_steps(planned: list[tuple[str, list[str]]]) -> int:
    """Run every step even after a failure; print one line per step; 1 if any failed."""
    results: list[tuple[str, int, float]] = []
    for name, command in planned:
        say(f"--- {name}: {' '.join(command[2:])}")
        started = time.monotonic()
        code = subprocess.run(command, cwd=ROOT).returncode
        results.append((name, code, time.monotonic() - started))
    print()
    for name, code, seconds in results:
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        if name == "pytest" and code == 5:
            verdict = "FAILED (exit 5: no tests ran)"
        say(f"{name:<12} {verdict:<30} {seconds:6.1f}s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0 if argv else 2
    command, args = argv[0], list(argv[1:])
    if command not in {"demo", "test", "pytest", "lint", "install"}:
        print(f"unknown command {command!r}\n{USAGE}", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    ensure_installed()
    if command == "install":
        return 0
    if command == "demo":
        demo = [str(PYTHON), "manage.py", "demo", *args]
        if os.name == "posix":  # hand the terminal (and Ctrl-C) to the demo itself
            os.execv(demo[0], demo)
        return subprocess.run(demo).returncode
    if command == "lint" and args:
        print("dev.py lint takes no arguments", file=sys.stderr)
        return 2
    tests = command in {"test", "pytest"}
    lint = command in {"test", "lint"}
    return run_steps(steps(args, tests=tests, lint=lint))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
