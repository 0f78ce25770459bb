"""Checks of the project's set-up: the README's commands, CI, workflows and pinned requirements."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_readme_gives_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make book" in readme and "make test" in readme


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.MULTILINE)


def test_workflows_are_valid_github_actions():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) >= 3
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, workflows),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_requirements_pin_every_package():
    lines = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    loose = [line for line in lines if "==" not in line]
    assert not loose, f"unpinned requirements: {loose}"
    pins = dict(line.split("==") for line in lines)
    assert pins["tensorflow"].startswith("2.21") and pins["keras"].startswith("3.")
    assert pins["jupyter-book"] == "1.0.4.post1"


def test_repository_url_is_written_only_in_config():
    url = re.search(r"url: (\S+)", (ROOT / "_config.yml").read_text()).group(1)
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    writers = [
        name
        for name in tracked
        if not name.endswith(".ipynb") and url in (ROOT / name).read_text(errors="ignore")
    ]
    assert writers == [
        "_config.yml"
    ], f"the repository URL is also written in {writers}; derive it from _config.yml"


def test_gpu_dockerfile_matches_the_pinned_environment():
    """Images cannot be built here, so the Dockerfile is held to requirements.txt instead."""
    dockerfile = (ROOT / "tools" / "gpu.Dockerfile").read_text(encoding="utf-8")
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    python = re.search(r"\(Python (\d+\.\d+)\)", requirements).group(1)
    tensorflow = re.search(r"^tensorflow==(\S+)$", requirements, re.MULTILINE).group(1)
    assert re.search(rf"^FROM python:{re.escape(python)}-slim$", dockerfile, re.MULTILINE)
    assert f'"tensorflow[and-cuda]=={tensorflow}"' in dockerfile
    assert "RUN make install" in dockerfile  # the Makefile's steps, not a copy of them
    assert 'CMD ["make", "test"]' in dockerfile


def test_gpu_workflow_runs_only_when_a_maintainer_asks_or_on_schedule():
    """A self-hosted runner must never run code from a fork's pull request."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "gpu.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert set(triggers) <= {"workflow_dispatch", "schedule"}
