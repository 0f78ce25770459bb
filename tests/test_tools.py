"""Tests of the maintainer tools: Colab links derived from _config.yml, and chapter execution."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
import colab
import execute

STALE_BADGE = (
    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/old/place/blob/dev/chapters/99_demo.ipynb)"
)


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A repository root holding only _config.yml and a chapters/ folder."""
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "chapters").mkdir()
    monkeypatch.setattr(colab, "ROOT", tmp_path)
    return tmp_path


def write_notebook(path: Path, *cells) -> Path:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_colab_links_and_install_line_come_from_the_config(repo):
    url, branch = colab.repository()
    notebook = repo / "chapters" / "99_demo.ipynb"
    assert colab.colab_url(notebook) == (
        f"https://colab.research.google.com/github/{url.removeprefix('https://github.com/')}"
        f"/blob/{branch}/chapters/99_demo.ipynb"
    )
    assert colab.install_lines() == (
        f'repo = "{url}"',
        f"%pip install --quiet git+{{repo}}@{branch}",
    )


def test_sync_rewrites_a_stale_badge_and_install_line(repo):
    notebook = write_notebook(
        repo / "chapters" / "99_demo.ipynb",
        new_markdown_cell(f"# Demo\n\n{STALE_BADGE}"),
        new_code_cell(
            'if "google.colab" in sys.modules:\n'
            '    repo = "https://example.org/old"\n'
            "    %pip install --quiet git+{repo}@dev\n"
            "import helpers"
        ),
    )
    assert len(colab.problems(notebook)) == 2
    nbformat.write(colab.synced(notebook), notebook)
    assert colab.problems(notebook) == []
    assert nbformat.read(notebook, as_version=4).cells[1].source.endswith("\nimport helpers")


def test_execute_runs_a_notebook_in_the_requested_mode_and_stores_outputs(tmp_path, monkeypatch):
    monkeypatch.delenv("BOOK_QUICK", raising=False)
    notebook = write_notebook(
        tmp_path / "demo.ipynb",
        new_code_cell(
            "import os\nprint(os.environ['BOOK_QUICK'], os.environ['BOOK_BATCH'], os.getcwd())"
        ),
    )
    seconds = execute.execute(notebook, quick=True, write=True, timeout=60)
    stored = nbformat.read(notebook, as_version=4)
    output = stored.cells[0].outputs[0]
    assert output.text.split() == ["1", "1", str(tmp_path)]  # quick, unattended, in its own folder
    assert seconds > 0
    run = stored.metadata["book_run"]  # the time beside the outputs, for tools/benchmark.py
    assert run["mode"] == "quick" and run["seconds"] == round(seconds, 1) and run["cpus"] >= 1
    [[index, cell_seconds]] = run["slowest_cells"]  # where the time went, per cell
    assert index == 0 and 0 <= cell_seconds <= seconds
    assert "execution" not in stored.cells[0].metadata  # no per-cell timestamps in the file
    assert "BOOK_QUICK" not in os.environ  # the kernel's settings do not leak into the caller


def test_execute_leaves_the_file_alone_without_write(tmp_path):
    notebook = write_notebook(tmp_path / "demo.ipynb", new_code_cell("print('hello')"))
    before = notebook.read_text()
    execute.execute(notebook, quick=False, write=False, timeout=60)
    assert notebook.read_text() == before


def test_execute_runs_chapters_side_by_side_on_their_share_of_the_cores(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    report = (
        "import os, time\nstart = time.time()\ntime.sleep(5)\n"
        "print(os.environ.get('TF_NUM_INTRAOP_THREADS'), start, time.time())"
    )
    notebooks = [write_notebook(tmp_path / f"{name}.ipynb", new_code_cell(report)) for name in "ab"]
    monkeypatch.setattr(
        sys, "argv", ["execute.py", "--mode", "quick", "--jobs", "2", *map(str, notebooks)]
    )
    assert execute.main() == 0
    stored = [nbformat.read(path, as_version=4) for path in notebooks]
    (threads_a, start_a, end_a), (threads_b, start_b, end_b) = (
        nb.cells[0].outputs[0].text.split() for nb in stored
    )
    assert threads_a == threads_b == "1"  # two chapters, one core each
    assert float(start_a) < float(end_b) and float(start_b) < float(end_a)  # at the same time
    runs = [nb.metadata["book_run"] for nb in stored]
    assert all(run["jobs"] == 2 and run["intra_op_threads"] == "1" for run in runs)


def test_a_full_run_of_every_chapter_records_the_whole_books_wall_time(tmp_path, monkeypatch):
    (tmp_path / "chapters").mkdir()
    for i in (1, 2):
        write_notebook(tmp_path / "chapters" / f"0{i}_demo.ipynb", new_code_cell("print('ran')"))
    monkeypatch.chdir(tmp_path)  # relative paths, as `make execute` passes them
    monkeypatch.setattr(execute, "ROOT", tmp_path)
    monkeypatch.setattr(execute, "WHOLE_BOOK_RUN", tmp_path / "whole_book_run.json")
    refreshed = []  # the generated pages of the real book stay as they are
    monkeypatch.setattr(execute, "refresh_generated_pages", lambda: refreshed.append(True))

    def run(*notebooks: str) -> int:
        monkeypatch.setattr(sys, "argv", ["execute.py", "--jobs", "2", *notebooks])
        return execute.main()

    assert run("chapters/01_demo.ipynb") == 0
    assert not execute.WHOLE_BOOK_RUN.exists()  # one chapter is not the book
    assert run("chapters/01_demo.ipynb", "chapters/02_demo.ipynb") == 0
    record = json.loads(execute.WHOLE_BOOK_RUN.read_text())
    assert record["jobs"] == 2 and set(record["chapters"]) == {"01_demo", "02_demo"}
    assert record["seconds"] >= max(record["chapters"].values())
    before = execute.WHOLE_BOOK_RUN.read_text()
    write_notebook(tmp_path / "chapters" / "02_demo.ipynb", new_code_cell("1 / 0"))
    assert run("chapters/01_demo.ipynb", "chapters/02_demo.ipynb") == 1
    assert execute.WHOLE_BOOK_RUN.read_text() == before  # a failed run is not the book's run
    assert refreshed == [True, True, True]  # after each full run


def test_the_callers_threads_stand(tmp_path, monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "3")
    notebook = write_notebook(
        tmp_path / "a.ipynb",
        new_code_cell("import os\nprint(os.environ.get('TF_NUM_INTRAOP_THREADS'))"),
    )
    monkeypatch.setattr(
        sys, "argv", ["execute.py", "--mode", "quick", "--jobs", "2", str(notebook)]
    )
    assert execute.main() == 0
    stored = nbformat.read(notebook, as_version=4)
    assert stored.cells[0].outputs[0].text.strip() == "3"
    assert stored.metadata["book_run"]["intra_op_threads"] == "3"


@pytest.mark.parametrize("jobs, cores, threads", [(1, 2, None), (2, 2, 1), (3, 2, 1), (2, 8, 4)])
def test_each_job_gets_its_share_of_the_cores(monkeypatch, jobs, cores, threads):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert execute.threads_per_job(jobs) == threads


def test_a_failing_chapter_is_named_and_the_others_still_run(tmp_path, monkeypatch, capsys):
    broken = write_notebook(tmp_path / "broken.ipynb", new_code_cell("1 / 0"))
    fine = write_notebook(tmp_path / "fine.ipynb", new_code_cell("print('ran')"))
    monkeypatch.setattr(
        sys, "argv", ["execute.py", "--mode", "quick", "--jobs", "2", str(broken), str(fine)]
    )
    assert execute.main() == 1
    out = capsys.readouterr().out
    assert f"{broken}: FAILED (CellExecutionError)" in out and "ZeroDivisionError" in out
    assert f"1 chapter(s) failed: {broken}" in out
    assert nbformat.read(fine, as_version=4).cells[0].outputs[0].text == "ran\n"


def test_the_longest_chapter_starts_first(tmp_path):
    paths = []
    for name, run in (
        ("short", {"mode": "full", "seconds": 10}),
        ("long", {"mode": "full", "seconds": 900}),
        ("quick_only", {"mode": "quick", "seconds": 5}),
        ("new", None),
    ):
        nb = new_notebook()
        if run:
            nb.metadata["book_run"] = run
        paths.append(tmp_path / f"{name}.ipynb")
        nbformat.write(nb, paths[-1])
    order = [path.stem for path in execute.longest_first(paths, "full")]
    assert order == ["quick_only", "new", "long", "short"]  # unknown full-mode times first


def test_execute_refuses_zero_jobs(monkeypatch, capsys, tmp_path):
    notebook = write_notebook(tmp_path / "a.ipynb", new_code_cell("1"))
    monkeypatch.setattr(sys, "argv", ["execute.py", "--jobs", "0", str(notebook)])
    with pytest.raises(SystemExit):
        execute.main()
    assert "--jobs 0: run at least one chapter at a time" in capsys.readouterr().err


def test_execute_reports_a_missing_notebook(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["execute.py", "chapters/no_such_chapter.ipynb"])
    with pytest.raises(SystemExit):
        execute.main()
    assert "no such notebook: chapters/no_such_chapter.ipynb" in capsys.readouterr().err


def test_chapters_stop_once_with_a_clear_message_when_the_data_cannot_be_had(tmp_path):
    """Offline and without the datasets, nbval must not fail cell after cell: one message, exit 4."""
    offline = {
        **os.environ,
        "BOOK_DATA_DIR": str(tmp_path / "empty"),
        "KERAS_HOME": str(tmp_path / "keras-home"),
        "BOOK_QUICK": "1",
        # downloads fail at once, as on a machine without a connection
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "chapters/01_tensors.ipynb"],
        cwd=ROOT,
        env=offline,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 4, done.stdout[-2000:]
    assert "no tests ran" in done.stdout
    message = done.stdout + done.stderr
    assert message.count("The chapters need MNIST and Fashion-MNIST") == 1
    assert "Set BOOK_DATA_DIR to a folder whose 'mnist/' subfolder holds" in message
    assert "train-images-idx3-ubyte.gz" in message


def test_local_mathjax_says_how_to_install_missing_files(monkeypatch):
    import local_mathjax

    monkeypatch.setitem(sys.modules, "mathjax", None)  # as if the package were not installed
    with pytest.raises(RuntimeError, match=r"pip install -r requirements.txt"):
        local_mathjax.mathjax_files()


def test_local_mathjax_finds_the_files_it_copies():
    import local_mathjax

    source = local_mathjax.mathjax_files()
    assert all((source / part).exists() for part in local_mathjax.PARTS)


def test_execute_stores_no_widget_state(tmp_path):
    notebook = write_notebook(
        tmp_path / "demo.ipynb",
        new_code_cell("import ipywidgets\nipywidgets.IntSlider(value=3)"),
    )
    execute.execute(notebook, quick=True, write=True, timeout=60)
    assert "widgets" not in nbformat.read(notebook, as_version=4).metadata
