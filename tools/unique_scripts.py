"""A Sphinx extension: write each script of a page once.

Under Jupyter Book v1 (Sphinx 7), sphinx-thebe and sphinx-togglebutton add their inline
configuration scripts twice, and the second ``const THEBE_JS_URL = ...`` is a JavaScript error
in every reader's console ("Identifier 'THEBE_JS_URL' has already been declared"). This drops a
script that repeats one already on the page.
"""

from __future__ import annotations


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # an inline script is added once with filename None and once with "": same script
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
