"""Derive every Colab link and install line in the chapters from the repository URL in _config.yml.

python tools/colab.py            # rewrite the chapters' Colab badge and install line
python tools/colab.py --check    # exit 1 when a chapter is out of date (the tests run this)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
REPO_RE = re.compile(r'repo = "[^"\n]*"')
INSTALL_RE = re.compile(r"%pip install [^\n]*")


def repository() -> tuple[str, str]:
    """Return the repository URL and branch written in _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def colab_url(notebook: Path) -> str:
    """Return the URL that opens ``notebook`` (a path inside the repository) in Colab."""
    url, branch = repository()
    github_path = url.removeprefix("https://github.com/")
    relative = Path(notebook).resolve().relative_to(ROOT).as_posix()
    return f"https://colab.research.google.com/github/{github_path}/blob/{branch}/{relative}"


def install_lines() -> tuple[str, str]:
    """Return the two lines a chapter's setup cell runs on Colab to install the helpers package.

    The URL sits in a variable that IPython expands in the ``%pip`` line, so both lines fit the
    page (79 columns) whatever the repository is called.
    """
    url, branch = repository()
    return f'repo = "{url}"', f"%pip install --quiet git+{{repo}}@{branch}"


def synced(notebook: Path) -> nbformat.NotebookNode:
    """Return ``notebook`` with its Colab badge and install line derived from _config.yml."""
    nb = nbformat.read(notebook, as_version=4)
    badge = f"[![Open In Colab]({BADGE})]({colab_url(notebook)})"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = BADGE_RE.sub(lambda _: badge, cell.source)
        elif cell.cell_type == "code":
            repo_line, install_line = install_lines()
            cell.source = REPO_RE.sub(lambda _: repo_line, cell.source)
            cell.source = INSTALL_RE.sub(lambda _: install_line, cell.source)
    return nb


def problems(notebook: Path) -> list[str]:
    """Return what is missing or stale in ``notebook``'s Colab badge and install line."""
    text = Path(notebook).read_text(encoding="utf-8")
    nb = nbformat.read(notebook, as_version=4)
    found = []
    if colab_url(notebook) not in text:
        found.append(f"{notebook}: no Colab badge pointing at {colab_url(notebook)}")
    lines = install_lines()
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    if not any(all(line in source for line in lines) for source in code):
        found.append(f"{notebook}: no setup cell running {' and '.join(lines)}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="report stale notebooks instead of rewriting them"
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, default=sorted((ROOT / "chapters").glob("*.ipynb"))
    )
    args = parser.parse_args()
    if args.check:
        found = [problem for notebook in args.notebooks for problem in problems(notebook)]
        print("\n".join(found) or "all Colab links and install lines match _config.yml")
        return 1 if found else 0
    for notebook in args.notebooks:
        nbformat.write(synced(notebook), notebook)
    return 0


if __name__ == "__main__":
    sys.exit(main())
