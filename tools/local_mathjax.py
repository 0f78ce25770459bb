"""A Sphinx extension: serve MathJax from the built site itself, so pages render without a CDN.

MathJax 3 comes from the pip package ``django-static-mathjax`` (pinned in requirements.txt; it
only ships MathJax's files). The parts the book needs are copied into ``_static/mathjax/`` of every
HTML build, and the pages load it from there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

#: What the pages load: the TeX-to-HTML component, the TeX extensions it may load on demand, its
#: fonts, and the menu and accessibility modules it may ask for.
PARTS = ("tex-chtml.js", "input", "output/chtml/fonts/woff-v2", "a11y", "ui")
MATHJAX_PATH = "mathjax/tex-chtml.js"  # relative to _static


def mathjax_files() -> Path:
    """Return the folder of MathJax's ready-to-serve ``es5`` files."""
    try:
        import mathjax
    except ImportError as error:
        raise RuntimeError(
            "MathJax's files are missing: install the book's requirements "
            "(pip install -r requirements.txt), which include django-static-mathjax."
        ) from error
    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def use_local_mathjax(app, config) -> None:
    config.mathjax_path = MATHJAX_PATH


def copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source, target = mathjax_files(), Path(app.outdir) / "_static" / "mathjax"
    for part in PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)


def setup(app):
    mathjax_files()  # fail at once, with the fix, when the files are missing
    app.connect("config-inited", use_local_mathjax)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
