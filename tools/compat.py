"""Run the chapters (quick mode) and the helpers' unit tests in each environment the book supports.

    python tools/compat.py                 # every environment below
    python tools/compat.py colab-2026-08   # one of them
    python tools/compat.py --list          # what each one installs

Environments:
- ``pinned``: the project's own ``.venv`` (requirements.txt; `make install`). nbval compares the
  deterministic cells strictly, as `make test` does.
- ``oldest``: the lowest version of every dependency ``pyproject.toml`` declares, on the oldest
  Python it declares.
- ``colab-*``: Google Colab's runtimes, from ``tools/colab_runtimes/colab-<date>-py<X.Y>.txt``
  (copies of ``../shared/colab/``, kept in the repository so that CI has them) installed as pip
  constraints on that Python.

Outside the pinned environment numbers may differ in their last digits, so there the bar is that
every cell runs and every assertion cell passes (nbval's lax mode). Each environment gets a venv
under ``.venv-compat/`` (created once, reused while its inputs are unchanged) and a log under
``_build/compat/``; a table of the results is printed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLAB = ROOT / "tools" / "colab_runtimes"
VENVS, LOGS = ROOT / ".venv-compat", ROOT / "_build" / "compat"
UNIT_TESTS = sorted(
    str(path.relative_to(ROOT))
    for path in (ROOT / "tests").glob("test_*.py")
    if (ROOT / "helpers" / f"{path.stem.removeprefix('test_')}.py").is_file()
)


@dataclass
class Environment:
    name: str
    python: str  # "3.12"
    constraints: str  # pip constraints, one "name==version" a line ("" for the pinned venv)

    @property
    def venv(self) -> Path:
        return ROOT / ".venv" if self.name == "pinned" else VENVS / self.name


def declared() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def oldest() -> Environment:
    """The lowest declared version of every dependency, on the lowest declared Python."""
    project = declared()
    pins = []
    for requirement in project["dependencies"]:
        name, lowest = re.fullmatch(r"([\w.-]+)>=([\w.]+)", requirement).groups()
        pins.append(f"{name}=={lowest}")
    python = re.fullmatch(r">=(\d+\.\d+)", project["requires-python"]).group(1)
    return Environment("oldest", python, "\n".join(pins) + "\n")


def environments() -> dict[str, Environment]:
    found = [Environment("pinned", "3.11", ""), oldest()]
    for path in sorted(COLAB.glob("colab-*-py*.txt")):
        name, python = re.fullmatch(r"(colab-[\d-]+)-py(\d+\.\d+)", path.stem).groups()
        found.append(Environment(name, python, path.read_text(encoding="utf-8")))
    return {env.name: env for env in found}


def find_python(version: str) -> str:
    """Return a Python interpreter of ``version`` (on PATH, or under pyenv)."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(str(p) for p in pyenv.glob(f"{version}.*/bin/python{version}"))
    for candidate in candidates:
        if (
            candidate
            and subprocess.run([candidate, "--version"], capture_output=True).returncode == 0
        ):
            return candidate
    raise SystemExit(
        f"No Python {version} found (looked on PATH and under {pyenv}). Install it, e.g. "
        f"`pyenv install {version}`, or run only the environments you have."
    )


def install(env: Environment, log) -> None:
    """Create the environment's venv and install helpers with its test extras, once."""
    if env.name == "pinned":
        subprocess.run(["make", "install"], cwd=ROOT, check=True, stdout=log, stderr=log)
        return
    inputs = env.constraints + (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    stamp = env.venv / f".installed-{hashlib.sha256(inputs.encode()).hexdigest()[:12]}"
    if stamp.exists():
        return
    shutil.rmtree(env.venv, ignore_errors=True)
    subprocess.run([find_python(env.python), "-m", "venv", str(env.venv)], check=True)
    constraints = env.venv / "constraints.txt"
    constraints.write_text(env.constraints, encoding="utf-8")
    pip = [str(env.venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True, stdout=log, stderr=log)
    subprocess.run(
        pip + ["-c", str(constraints), "--editable", ".[test]", "ipykernel"],
        cwd=ROOT,
        check=True,
        stdout=log,
        stderr=log,
    )
    stamp.touch()


def run_tests(env: Environment, log) -> int:
    nbval = "--nbval" if env.name == "pinned" else "--nbval-lax"
    command = [
        str(env.venv / "bin" / "python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        nbval,
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/sanitize.cfg",
        "--nbval-cell-timeout",
        "600",
        *UNIT_TESTS,
        "chapters",
    ]
    environment = dict(os.environ, BOOK_QUICK="1", BOOK_BATCH="1")
    return subprocess.run(command, cwd=ROOT, env=environment, stdout=log, stderr=log).returncode


def summary_line(log_path: Path) -> str:
    lines = [line for line in log_path.read_text(encoding="utf-8").splitlines() if " in " in line]
    return lines[-1].strip("= ") if lines else "(no pytest summary)"


def main(argv=None) -> int:
    known = environments()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"environments (default: all of {list(known)})")
    parser.add_argument("--list", action="store_true", help="print what each one installs")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(known)
    if unknown:
        parser.error(f"unknown environment(s) {sorted(unknown)}; choose from {list(known)}")
    chosen = [known[name] for name in args.names or known]
    if args.list:
        for env in chosen:
            print(f"{env.name}: Python {env.python}\n{env.constraints or '(requirements.txt)'}")
        return 0
    if not os.environ.get("BOOK_DATA_DIR"):
        print("Set BOOK_DATA_DIR to the folder with mnist/ and fashion-mnist/ (see README).")
    LOGS.mkdir(parents=True, exist_ok=True)
    results = []
    for env in chosen:
        log_path = LOGS / f"{env.name}.log"
        start = time.perf_counter()
        with open(log_path, "w", encoding="utf-8") as log:
            install(env, log)
            installed = time.perf_counter()
            code = run_tests(env, log)
        minutes = (time.perf_counter() - installed) / 60
        results.append((env, code, minutes, installed - start, summary_line(log_path)))
        print(f"{env.name:<15} {'passed' if code == 0 else 'FAILED'}  ({log_path})", flush=True)
    print(f"\n| environment | Python | result | tests (min) | set-up (s) |\n|---|---|---|---|---|")
    for env, code, minutes, setup, line in results:
        print(f"| {env.name} | {env.python} | {line} | {minutes:.1f} | {setup:.0f} |")
    return 0 if all(code == 0 for _, code, *_ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
