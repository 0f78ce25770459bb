"""Checks of the project's set-up: the README's commands, CI, workflows and pinned requirements."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(line) for line in project["dependencies"]]


def pinned_versions(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


COLAB_RUNTIMES = sorted((ROOT / "tools" / "colab_runtimes").glob("colab-*.txt"))
SHARED_COLAB = ROOT.parent / "shared" / "colab"


def test_there_are_colab_runtimes_to_test_against():
    assert len(COLAB_RUNTIMES) >= 2


@pytest.mark.skipif(not SHARED_COLAB.is_dir(), reason="../shared/colab/ is not beside the clone")
def test_the_colab_runtimes_are_copies_of_the_shared_ones():
    shared = {path.name: path.read_text() for path in SHARED_COLAB.glob("colab-*.txt")}
    ours = {path.name: path.read_text() for path in COLAB_RUNTIMES}
    assert ours == shared, "copy ../shared/colab/colab-*.txt into tools/colab_runtimes/"


def test_the_compat_workflow_runs_every_environment_of_make_test_compat():
    import compat  # tools/ is importable from every test (tests/conftest.py)

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "compat.yml").read_text())
    matrix = workflow["jobs"]["compat"]["strategy"]["matrix"]["include"]
    assert {entry["environment"]: entry["python"] for entry in matrix} == {
        env.name: env.python for env in compat.environments().values()
    }


@pytest.mark.parametrize("runtime", COLAB_RUNTIMES, ids=lambda path: path.stem)
def test_installing_helpers_on_colab_changes_none_of_colabs_packages(runtime):
    colab = pinned_versions(runtime)
    for requirement in declared_requirements():
        name = canonicalize_name(requirement.name)
        assert name in colab, f"{name} is not in {runtime.name}: Colab would have to install it"
        assert requirement.specifier.contains(colab[name]), (
            f"{runtime.name} has {name} {colab[name]}, outside the declared {requirement}: "
            "installing helpers on Colab would replace it and ask the reader to restart"
        )


def test_the_pinned_environment_is_inside_the_declared_ranges():
    pins = pinned_versions(ROOT / "requirements.txt")
    for requirement in declared_requirements():
        assert requirement.specifier.contains(pins[canonicalize_name(requirement.name)])


# import name -> distribution, where they differ
DISTRIBUTIONS = {"sklearn": "scikit-learn", "IPython": "ipython"}


def test_every_package_the_chapters_and_helpers_import_is_declared():
    sources = [path.read_text(encoding="utf-8") for path in (ROOT / "helpers").glob("*.py")]
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        sources.extend(c.source for c in nbformat.read(path, 4).cells if c.cell_type == "code")
    imported = {
        match
        for source in sources
        for match in re.findall(r"^\s*(?:from|import) ([A-Za-z_]\w*)", source, re.MULTILINE)
    }
    third_party = {
        name
        for name in imported - set(sys.stdlib_module_names) - {"helpers", "__future__", "myst_nb"}
        if importlib.util.find_spec(name) is not None
    }
    declared = {canonicalize_name(r.name) for r in declared_requirements()}
    missing = {
        name
        for name in third_party
        if canonicalize_name(DISTRIBUTIONS.get(name, name)) not in declared
    }
    assert not missing, f"imported but not declared in pyproject.toml: {sorted(missing)}"
