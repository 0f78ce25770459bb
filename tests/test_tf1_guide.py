"""The TensorFlow 1 → 2 guide (book/tf1_to_tf2.md): it names every TensorFlow 1 API the sources'
code uses, its TensorFlow 2 lines run, what it says about TensorFlow 1 and 2 holds when its own
lines are run against TensorFlow 1's semantics (``tf.compat.v1``), and its links land on sections
that teach the code.

The guide is a MyST page of definition lists, one per theme: each entry's term holds the
TensorFlow 1 code, its description opens with the TensorFlow 2 line and links to a chapter.
The names the sources use are listed in ``tests/data/tf1_source_names.txt``, so that the guide is
checked against them everywhere; a test run beside the sources checks that the list is current.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import keyword
import linecache
import logging
import re
import types
import warnings
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "book" / "tf1_to_tf2.md"
#: The names of the sources' TensorFlow 1 APIs, as source_names() extracts them.
NAMES_FILE = ROOT / "tests" / "data" / "tf1_source_names.txt"
#: The maintainers' copy of the source material, beside the repository (readers' clones and the
#: CI lack it).
SEEDS = ROOT.parent / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason=f"the source material is not in {SEEDS}"
)

#: Chapter links that may go to the whole notebook: the capstone, linked as "end to end".
WHOLE_CHAPTER_LINKS = {"chapters/11_capstone.ipynb"}
#: The section that lists the names TensorFlow 2 kept.
UNCHANGED = "Unchanged in TensorFlow 2"
#: At most this many lines of the guide may be marked "not run here".
MAX_NOT_RUN = 2

# ---------------------------------------------------------------------------------------------
# Names used in the sources' code
# ---------------------------------------------------------------------------------------------

HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
#: A dotted name starting at tf. or tensorflow.; a "<" before it marks a printed repr (output).
NAME = re.compile(r"(?<![\w.<])(?:tf|tensorflow)(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
FROM_IMPORT = re.compile(r"^\s*from\s+(tensorflow(?:\.[A-Za-z_]\w*)*)\s+import\s+([\w ,]+?)\s*$")
STRING = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
URL = re.compile(r"(?:https?://|www\.)\S+")
#: TensorFlow 1 idioms without a tf. prefix: each must be in the sources and in a term of the
#: guide.
IDIOMS = (
    "feed_dict",
    "%tensorflow_version",
    "input_data.read_data_sets",
    "next_batch",
    "sess.run",
    ".eval()",
    ".initializer",
    "init.run()",
    "reset_graph()",
    "minimize(",
    "compute_gradients",
    "apply_gradients",
    "global_step",
    "var_list",
    "keep_prob",
    "get_operations()",
    "get_tensor_by_name",
    "get_operation_by_name",
    "saver.save",
    "saver.restore",
    "show_graph",
    "for epoch in range(n_epochs)",
)


def normalize(name: str) -> str:
    """One spelling per API: ``tf.compat.v1.X`` is TensorFlow 1's ``tf.X``; a method reached
    through ``tf.get_default_graph`` (one source forgets the call's parentheses) is the graph's."""
    name = re.sub(r"^(tf|tensorflow)\.compat\.v1\.", r"\1.", name)
    return re.sub(r"^tf\.get_default_graph\..+", "tf.get_default_graph", name)


def _blank_strings(line: str) -> str:
    """The line with the insides of its string literals blanked (same length, same positions)."""
    return STRING.sub(lambda m: m.group()[0] + " " * (len(m.group()) - 2) + m.group()[0], line)


def _segments(line: str) -> list[str]:
    """The code part of a line and its comment, string literals blanked."""
    bare = _blank_strings(line)
    cut = bare.find("#")
    if cut < 0:
        return [bare]
    return [bare[:cut], line[cut + 1 :]]


def code_names(text: str) -> set[str]:
    """The tf./tensorflow. names used in the code of a source text, normalized.

    A source mixes Korean prose, code and printed output. A segment (a line's code or its
    comment) counts as code when it has no Hangul outside string literals; in prose, only names
    written as calls (``tf.gradients(...)``) count, as inline code. Names inside string literals,
    printed reprs (``<tf.Tensor ...>``), URLs and TensorFlow's deprecation notices (the line after
    "Instructions for updating:") do not count. ``from tensorflow.a import b`` yields
    ``tensorflow.a.b``.
    """
    names: set[str] = set()
    previous = ""
    for raw in text.splitlines():
        after_notice, previous = previous == "Instructions for updating:", raw.strip() or previous
        if after_notice:
            continue
        for segment in _segments(URL.sub(" ", raw)):
            is_prose = bool(HANGUL.search(_blank_strings(segment)))
            imported = FROM_IMPORT.match(segment)
            if imported and not is_prose:
                module, items = imported.groups()
                names.update(normalize(f"{module}.{item.strip()}") for item in items.split(","))
                continue
            for match in NAME.finditer(segment):
                if is_prose and not re.match(r"\s*\(", segment[match.end() :]):
                    continue
                names.add(normalize(match.group()))
    return names


def source_names() -> set[str]:
    """The names extracted from the sources themselves (only beside the repository)."""
    return set().union(*(code_names(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")))


def listed_names() -> set[str]:
    """The names of tests/data/tf1_source_names.txt: one a line, ``#`` starts a comment."""
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return {line.split("#")[0].strip() for line in lines} - {""}


# ---------------------------------------------------------------------------------------------
# The guide's structure
# ---------------------------------------------------------------------------------------------

CODE_SPAN = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
NOT_RUN = re.compile(r"\(not run here: [^)]+\)")
TAUGHT = re.compile(r"\b(?:Taught|Mapped) in\b")


class Entry(NamedTuple):
    heading: str  # the theme, the ## heading above the entry
    term: str  # the TensorFlow 1 side
    description: str  # the TensorFlow 2 side, its lines joined by spaces
    start: int  # the index of the term's line in the guide's lines
    end: int  # the index of the line after the description


def entries(text: str) -> list[Entry]:
    """Every entry of the guide's definition lists.

    An entry is a term line followed by a line starting with ``: `` (MyST's ``deflist``); the
    description continues on the lines indented by two spaces.
    """
    lines, found, heading, in_fence, i = text.splitlines(), [], "", False, 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and line.startswith("## "):
            heading = line[3:].strip()
        term = lines[i - 1] if i else ""
        if not in_fence and line.startswith(": ") and term.strip() and term[0] not in " :":
            start, description, i = i - 1, [line[2:].strip()], i + 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                description.append(lines[i].strip())
                i += 1
            found.append(Entry(heading, term.strip(), " ".join(description), start, i))
            continue
        i += 1
    return found


def layout_problems(text: str) -> list[str]:
    """Entries the parser would misread: a term must be one line with a blank line before it (a
    term wrapped over two lines would be read as its second line), and a blank line must follow
    the description (an unindented continuation would be dropped)."""
    lines, problems = text.splitlines(), []
    for entry in entries(text):
        if entry.start > 0 and lines[entry.start - 1].strip():
            problems.append(f"line {entry.start + 1}: no blank line before the term {entry.term!r}")
        if entry.end < len(lines) and lines[entry.end].strip():
            problems.append(f"line {entry.end + 1}: the description of {entry.term!r} goes on")
    return problems


def sections(text: str) -> dict[str, str]:
    """The guide's ``## `` sections, by heading."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def code_spans(cell: str) -> list[str]:
    return [m.group(2).strip() for m in CODE_SPAN.finditer(cell)]


def unchanged_names(text: str) -> list[str]:
    """The names listed in the first paragraph of the "Unchanged" section."""
    paragraphs = sections(text).get(UNCHANGED, "").strip().split("\n\n")
    return code_spans(paragraphs[0])


def term_names(text: str) -> set[str]:
    """The tf./tensorflow. names in the code spans of the guide's terms (its TensorFlow 1 side)."""
    return code_names("\n".join(span for e in entries(text) for span in code_spans(e.term)))


def missing_names(names: set[str], guide_text: str) -> list[str]:
    """The names that neither a TensorFlow 1 entry nor the "Unchanged" list mentions."""
    covered = term_names(guide_text) | code_names("\n".join(unchanged_names(guide_text)))
    return sorted(names - covered)


def missing_idioms(guide_text: str) -> list[str]:
    code = "\n".join(span for e in entries(guide_text) for span in code_spans(e.term))
    return [idiom for idiom in IDIOMS if idiom not in code]


def successor_lines(text: str) -> list[tuple[str, str, bool]]:
    """(section, line, runs) for the code that opens every entry's description."""
    lines = []
    for entry in entries(text):
        spans = code_spans(entry.description)
        if spans:
            lines.append((entry.heading, spans[0], not NOT_RUN.search(entry.description)))
    return lines


def fixture_code(text: str) -> str:
    blocks = re.findall(
        r"^```python\n(.*?)^```",
        sections(text)["How the lines are checked"],
        flags=re.MULTILINE | re.DOTALL,
    )
    assert len(blocks) == 1, "the guide documents its namespace in one ```python block"
    return blocks[0]


def without_entry(text: str, entry: Entry) -> str:
    lines = text.splitlines()
    return "\n".join(lines[: entry.start] + lines[entry.end :])


GUIDE_TEXT = GUIDE.read_text(encoding="utf-8")
ENTRIES = entries(GUIDE_TEXT)
LINES = successor_lines(GUIDE_TEXT)

#: The terms of the entries whose claims a test below checks by running their lines (so that
#: deleting one of them fails too, even where no source name depends on it alone).
CLAIMED = (
    "tf.variance_scaling_initializer()",
    "tf.contrib.layers.variance_scaling_initializer()",
    "tf.name_scope",
    "tf.nn.in_top_k",
    "tf.train.AdamOptimizer",
    "tf.train.RMSPropOptimizer",
    "tf.train.MomentumOptimizer",
    "tf.train.AdagradOptimizer",
    "tf.train.exponential_decay",
    "tf.clip_by_norm",
    "tf.nn.dropout",
    "tf.layers.batch_normalization",
    "tf.keras.losses.sparse_categorical_crossentropy",
    "tf.nn.sparse_softmax_cross_entropy_with_logits",
    "-tf.reduce_sum(y * tf.log(y))",
    "def leaky_relu",
    "tf.gradients",
    "l1_regularizer",
    "input_data.read_data_sets",
    "building the whole graph",
    "sess.run([y, z])",
    "tf.assign(theta",
    "`activation=tf.nn.elu`",
    "h2_cache",
    "hidden1/kernel/Assign",
)


def entry_with(term_part: str, text: str = GUIDE_TEXT) -> Entry:
    """The one entry whose term contains ``term_part``."""
    found = [entry for entry in entries(text) if term_part in entry.term]
    assert len(found) == 1, f"{len(found)} entries have {term_part!r} in their term"
    return found[0]


def span_with(entry: Entry, part: str, side: str = "description") -> str:
    """The one code span of the entry's term or description that contains ``part``."""
    found = [span for span in code_spans(getattr(entry, side)) if part in span]
    assert len(found) == 1, f"{len(found)} spans with {part!r} in {entry.term!r}"
    return found[0]


#: A number as the guide writes it: 3,000, 0.99, 1e-7.
NUMBER = r"(\d[\d,]*(?:\.\d+)?(?:e-?\d+)?)"


def quoted(entry: Entry, pattern: str) -> float:
    """The number the entry's description states where ``{n}`` stands in ``pattern``."""
    regex = pattern.replace("{n}", NUMBER)
    match = re.search(regex, entry.description)
    assert match, f"{entry.term!r} no longer says {pattern!r}"
    return float(match.group(1).replace(",", ""))


# ---------------------------------------------------------------------------------------------
# 1. Every name the sources use is in the guide
# ---------------------------------------------------------------------------------------------


def test_extractor_reads_code_and_skips_prose_and_output():
    text = "\n".join(
        [
            'X = tf.placeholder(tf.float32, shape=(None, 784), name="X")  # 입력 tf.zeros',
            "# from tensorflow.examples.tutorials.mnist import input_data",
            "from tensorflow.keras import layers, optimizers",
            "1.4에서 tf.nn.leaky_relu(z, alpha) 함수가 추가, tf.foo는 설명",
            "<tf.Tensor 'hidden1/kernel:0' shape=(2, 3) dtype=float32_ref>",
            "https://www.tensorflow.org/api_docs/python/tf/compat/v1/train/Saver",
            "saver = tf.compat.v1.train.Saver()",
            "X = tf.get_default_graph.get_tensor_by_name('X:0')",
            "Instructions for updating:",
            "Use tf.where in 2.0, which has the same broadcast rule as np.where",
            'plt.title("tf.bar 그림")',
        ]
    )
    assert code_names(text) == {
        "tf.placeholder",
        "tf.float32",
        "tensorflow.examples.tutorials.mnist.input_data",
        "tensorflow.keras.layers",
        "tensorflow.keras.optimizers",
        "tf.nn.leaky_relu",
        "tf.train.Saver",
        "tf.get_default_graph",
    }


@needs_seeds
def test_the_name_list_is_current():
    """tests/data/tf1_source_names.txt holds exactly what the extractor finds in the sources."""
    found, listed = source_names(), listed_names()
    assert len(found) > 60, f"only {len(found)} names found in {SEEDS}: is the extractor broken?"
    assert found == listed, (
        f"update {NAMES_FILE.relative_to(ROOT)}: "
        f"new in the sources {sorted(found - listed)}, gone {sorted(listed - found)}"
    )


def test_every_tf_name_in_the_sources_is_in_the_guide():
    names = listed_names()
    assert len(names) > 60, f"only {len(names)} names in {NAMES_FILE}"
    missing = missing_names(names, GUIDE_TEXT)
    assert not missing, "the guide lacks a TensorFlow 1 entry for:\n" + "\n".join(missing)


def test_unchanged_names_are_not_entries_too():
    """A name listed as unchanged would keep the coverage test quiet when the entry that
    discusses it is deleted: each name goes in one place only."""
    unchanged = code_names("\n".join(unchanged_names(GUIDE_TEXT)))
    both = sorted(unchanged & term_names(GUIDE_TEXT))
    assert not both, f"listed as unchanged and in an entry's term: {both}"


def test_every_tf1_idiom_is_in_the_guide():
    assert missing_idioms(GUIDE_TEXT) == []


@needs_seeds
def test_every_tf1_idiom_is_in_the_sources():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))
    assert [idiom for idiom in IDIOMS if idiom not in sources] == []


def test_a_removed_entry_is_reported():
    """The coverage checks can fail: drop the guide's entry for AdaGrad and they name what went."""
    names = {"tf.train.AdagradOptimizer", "tf.layers.dense"}
    assert missing_names(names, GUIDE_TEXT) == []
    without = without_entry(GUIDE_TEXT, entry_with("tf.train.AdagradOptimizer"))
    assert missing_names(names, without) == ["tf.train.AdagradOptimizer"]
    without = GUIDE_TEXT.replace("`%tensorflow_version 1.x`", "`%magic`")
    assert missing_idioms(without) == ["%tensorflow_version"]


def test_every_entry_is_guarded():
    """Deleting any one entry makes a test fail: it holds a source name or an idiom that no other
    entry holds, or a claims test below looks it up."""
    names = listed_names()
    unguarded = []
    for entry in ENTRIES:
        without = without_entry(GUIDE_TEXT, entry)
        claimed = any(part in entry.term for part in CLAIMED)
        if not (claimed or missing_names(names, without) or missing_idioms(without)):
            unguarded.append(entry.term)
    assert not unguarded, "deleting these entries would fail no test:\n" + "\n".join(unguarded)


# ---------------------------------------------------------------------------------------------
# 2. The guide's layout
# ---------------------------------------------------------------------------------------------


def test_every_entry_has_old_code_new_code_and_a_link():
    assert len(ENTRIES) > 50
    for heading, term, description, *_ in ENTRIES:
        assert code_spans(term), f"{heading}: no TensorFlow 1 code in {term!r}"
        assert description.startswith("`"), f"{heading}: {term} has no line of code first"
        assert TAUGHT.search(description) and LINK.search(description), f"{heading}: {term}"
    themes = {entry.heading for entry in ENTRIES}
    assert len(themes) == 8, sorted(themes)


def test_every_term_is_one_line_between_blank_lines():
    assert layout_problems(GUIDE_TEXT) == []
    wrapped = "## Theme\n\n`tf.a()`, `tf.b()`,\n`tf.c()`\n: `new()` — text.\n  More.\nLost.\n"
    assert entries(wrapped)[0].term == "`tf.c()`"  # what the parser would see
    assert layout_problems(wrapped) == [
        "line 4: no blank line before the term '`tf.c()`'",
        "line 7: the description of '`tf.c()`' goes on",
    ]


# ---------------------------------------------------------------------------------------------
# 3. The guide's TensorFlow 2 lines run
# ---------------------------------------------------------------------------------------------


def test_few_lines_are_not_run():
    not_run = [line for _, line, runs in LINES if not runs]
    assert 0 < len(LINES) - len(not_run), "every line is marked 'not run here'"
    assert len(not_run) <= MAX_NOT_RUN, f"{len(not_run)} lines not run: {not_run}"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder of its own for each test, for the lines that write files."""
    import tensorflow  # noqa: F401  (imported here so that collecting this module stays fast)

    monkeypatch.chdir(tmp_path)
    return tmp_path


def namespace() -> dict:
    """A fresh namespace made by the guide's own set-up code, named as a notebook's is."""
    names: dict = {"__name__": "__main__"}
    exec(compile(fixture_code(GUIDE_TEXT), "<guide: namespace>", "exec"), names)
    return names


def run(code: str, names: dict | None = None):
    """Run a line of the guide in ``names`` (a fresh namespace by default); return the value of
    its last statement when that is an expression.

    The line is registered in ``linecache``, as a notebook registers its cells, so that
    ``tf.function`` (AutoGraph) can read the source of the lambdas it converts.
    """
    names = namespace() if names is None else names
    filename = f"<guide line {abs(hash(code))}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    tree = ast.parse(code, filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, filename, "exec"), names)
    if last is not None:
        return eval(compile(ast.Expression(last.value), filename, "eval"), names)
    return None


@pytest.mark.parametrize(
    "line", [line for _, line, runs in LINES if runs], ids=lambda line: line[:80]
)
def test_successor_line_runs(workdir, caplog, line):
    """Each line runs, without a warning (a deprecation would date the guide) and without a
    warning logged by TensorFlow (AutoGraph's, for one)."""
    names = namespace()
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # TensorFlow's own NumPy 2 notice, ignored for the whole suite too (pyproject.toml)
        warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
        try:
            run(line, names)
        except Exception as error:  # noqa: BLE001  (any error is the finding)
            pytest.fail(f"the guide's line\n    {line}\nraised {type(error).__name__}: {error}")
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    messages += [
        f"logged by {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING
    ]
    assert not messages, f"the guide's line\n    {line}\nwarns:\n" + "\n".join(messages)


# ---------------------------------------------------------------------------------------------
# 4. What the guide says holds: its lines against TensorFlow 1's semantics, its numbers
# ---------------------------------------------------------------------------------------------


def tf1_code(span: str, **names):
    """Evaluate TensorFlow 1 code from a term with ``tf`` standing for ``tf.compat.v1``."""
    import tensorflow as tf

    return eval(span, {"tf": tf.compat.v1, **names})


def steps(optimizer, n: int = 4, gradient=(1e-3, 0.5, -2.0)):
    """The variable after ``n`` steps of ``optimizer`` (Keras or TensorFlow 1) from ones, with a
    gradient that grows step by step."""
    import tensorflow as tf

    variable = tf.Variable([1.0] * len(gradient))
    for k in range(1, n + 1):
        optimizer.apply_gradients([(k * tf.constant(gradient), variable)])
    return variable.numpy()


def test_graphs_variables_and_layers(workdir):
    """Lines whose TensorFlow 1 side still runs (in a graph, or as it is) compute the same."""
    import numpy as np
    import tensorflow as tf

    names = namespace()
    x, model = names["x"], names["model"]
    operations = run(code_spans(entry_with("building the whole graph").description)[0], names)
    inputs = [op for op in operations if op.type == "Placeholder"]  # the signature's placeholder
    assert len(inputs) == 1 and inputs[0].outputs[0].shape.as_list() == [None, 784]

    plus_five, times_three = run(code_spans(entry_with("sess.run([y, z])").description)[0], names)
    np.testing.assert_allclose(plus_five, x + 5)
    np.testing.assert_allclose(times_three, x * 3)

    entry = entry_with("tf.assign(theta")
    run(code_spans(entry.description)[0], names)
    with tf.Graph().as_default():
        theta = tf.compat.v1.Variable([1.0, 2.0])
        training_op = tf1_code(
            span_with(entry, "tf.assign", "term"),
            theta=theta,
            learning_rate=0.1,
            gradients=tf.ones(2),
        )
        with tf.compat.v1.Session() as sess:
            sess.run(theta.initializer)
            tf1_theta = sess.run(training_op)
    np.testing.assert_allclose(names["theta"].numpy(), tf1_theta)

    entry = entry_with("`activation=tf.nn.elu`")
    layer = run(code_spans(entry.description)[0], names)
    outputs = layer(x)
    activation = tf1_code(span_with(entry, "tf.nn.elu", "term").split("=")[1])
    np.testing.assert_allclose(
        outputs, activation(x @ layer.kernel + layer.bias), rtol=1e-5, atol=1e-6
    )

    cache = run(code_spans(entry_with("h2_cache").description)[0], names)
    hidden1 = model.get_layer("hidden1")
    np.testing.assert_allclose(
        cache, tf.nn.relu(x @ hidden1.kernel + hidden1.bias), rtol=1e-5, atol=1e-5
    )

    entry = entry_with("hidden1/kernel/Assign")
    run(code_spans(entry.description)[0], names)
    source_check = re.search(
        r"input `(\[\[[\d, ]+\]\])` then gives `(\[\[[\d, ]+\]\])`", entry.description
    )
    given, expected = (ast.literal_eval(text) for text in source_check.groups())
    np.testing.assert_allclose(names["layer"](np.array(given, dtype="float32")), expected)
    run(span_with(entry, "model.get_layer"), names)
    np.testing.assert_array_equal(model.get_layer("hidden1").kernel.numpy(), 1.0)


def test_max_norm_axes(workdir):
    """The guide's MaxNorm is the published constraint (each unit's incoming weights); its
    axis=1 variant is exactly the sources' tf.clip_by_norm(..., axes=1)."""
    import numpy as np
    import tensorflow as tf

    entry = entry_with("tf.clip_by_norm")
    kernel = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")  # 5 inputs, 3 units
    constraint = run(code_spans(entry.description)[0]).kernel_constraint
    np.testing.assert_allclose(constraint(kernel), tf.clip_by_norm(kernel, 1.0, axes=0), atol=1e-6)
    assert np.all(np.linalg.norm(constraint(kernel), axis=0) <= 1 + 1e-6)  # per unit: incoming
    assert "default axis, 0, bounds each unit's incoming weights" in entry.description
    sources_axes = int(re.search(r"axes=(\d)", entry.term).group(1))
    sources_way = run(span_with(entry, "axis=1"))
    np.testing.assert_allclose(
        sources_way(kernel), tf.clip_by_norm(kernel, 1.0, axes=sources_axes), atol=1e-6
    )
    assert np.all(np.linalg.norm(sources_way(kernel), axis=1) <= 1 + 1e-6)  # per input: outgoing
    assert not np.allclose(constraint(kernel), sources_way(kernel), atol=1e-3)
    assert "each input's outgoing weights" in entry.description


def test_initializers(workdir):
    import keras
    import tensorflow as tf

    def settings(init):
        return (init.scale, init.mode.lower(), init.distribution)

    lecun, he = (keras.initializers.get(name) for name in ("lecun_normal", "he_normal"))
    core = entry_with("tf.variance_scaling_initializer()")
    tf1_init = tf1_code(span_with(core, "tf.variance_scaling", "term").split("=", 1)[1].strip())
    new = run(code_spans(core.description)[0])
    assert (
        settings(new)
        == settings(tf1_init)
        == settings(lecun)
        == (1.0, "fan_in", "truncated_normal")
    )
    assert type(tf1_init).__module__.startswith("tensorflow.python.ops.init_ops")  # TF1's own
    contrib = entry_with("tf.contrib.layers.variance_scaling_initializer()")
    new = run(code_spans(contrib.description)[0])
    assert settings(new) == settings(he)
    assert quoted(contrib, r"defaulted to factor {n}") == new.scale


def test_name_scopes(workdir):
    import tensorflow as tf

    entry = entry_with("tf.name_scope")
    line = code_spans(entry.description)[0]
    quoted_paths = dict(
        re.findall(r"under `(\w+\.name_scope)\(\"dnn\"\)` .*?is `([\w/]+)`", entry.description)
    )
    assert set(quoted_paths) == {"tf.name_scope", "keras.name_scope"}, quoted_paths
    for scope, path in quoted_paths.items():
        names = namespace()
        run(line.replace("keras.name_scope", scope), names)
        assert names["hidden1"].kernel.path == path, scope
    with tf.name_scope("dnn"):
        variable = tf.Variable(1.0, name="v")
        tensor = tf.constant(1.0)
    assert variable.name == "dnn/v:0"  # "in eager code only the tf.Variables"
    with pytest.raises(AttributeError):
        tensor.name  # noqa: B018  (an eager tensor has no name)


def test_leaky_relu_and_batch_normalization(workdir):
    import keras
    import numpy as np
    import tensorflow as tf

    entry = entry_with("def leaky_relu")
    names = namespace()
    model = run(code_spans(entry.description)[0], names)
    sources: dict = {"tf": tf}
    exec(span_with(entry, "def leaky_relu", "term"), sources)  # TensorFlow 1 code that still runs
    hidden = model.get_layer("hidden1")(names["x"])
    np.testing.assert_allclose(model(names["x"]), sources["leaky_relu"](hidden), rtol=1e-6)
    assert quoted(entry, r"`LeakyReLU` layer's default is {n}") == pytest.approx(
        keras.layers.LeakyReLU().negative_slope
    )
    functions = quoted(entry, r"`tf\.nn\.leaky_relu`'s is {n}")
    for function, argument in [
        (keras.activations.leaky_relu, "negative_slope"),
        (tf.nn.leaky_relu, "alpha"),
    ]:
        assert inspect.signature(function).parameters[argument].default == pytest.approx(functions)

    entry = entry_with("tf.layers.batch_normalization")
    layer = run(code_spans(entry.description)[0])
    assert layer.momentum == float(re.search(r"momentum=([\d.]+)", entry.term).group(1))
    default = quoted(entry, r"the default, in Keras as in TensorFlow 1, is {n}")
    assert keras.layers.BatchNormalization().momentum == pytest.approx(default)


def test_optimizers_against_tensorflow_1(workdir):
    """Each line makes the same steps as the term's TensorFlow 1 optimizer (tf.compat.v1), where
    the guide says so, and differs as much as it says where it says they differ."""
    import keras
    import numpy as np
    import tensorflow as tf

    def both(term_part, learning_rate):
        entry = entry_with(term_part)
        tf1_span = span_with(entry, term_part, "term")
        tf1 = tf1_code(tf1_span, learning_rate=learning_rate)
        return entry, tf1, run(code_spans(entry.description)[0])

    entry, tf1, new = both("tf.train.AdamOptimizer", None)
    np.testing.assert_allclose(steps(new), steps(tf1), rtol=1e-6)
    assert new.epsilon == inspect.signature(type(tf1)).parameters["epsilon"].default
    assert quoted(entry, r"Keras' default is {n}") == keras.optimizers.Adam().epsilon

    entry, tf1, new = both("tf.train.MomentumOptimizer", 0.01)
    np.testing.assert_allclose(steps(new, 6), steps(tf1, 6), rtol=1e-6)  # a constant rate
    step = tf.Variable(0)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=1, decay_rate=0.5)
    tf1 = tf.compat.v1.train.MomentumOptimizer(lambda: schedule(step), 0.9, use_nesterov=True)
    new = keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True)
    old_way, new_way = tf.Variable([1.0]), tf.Variable([1.0])
    for _ in range(6):
        tf1.apply_gradients([(tf.constant([1.0]), old_way)])
        new.apply_gradients([(tf.constant([1.0]), new_way)])
        step.assign_add(1)
    moved_tf1, moved_new = 1 - old_way.numpy(), 1 - new_way.numpy()
    assert not np.allclose(moved_tf1, moved_new, rtol=0.05)  # "under a schedule they part"

    entry, tf1, new = both("tf.train.AdagradOptimizer", 0.01)
    np.testing.assert_allclose(steps(new), steps(tf1), rtol=1e-4)  # epsilon aside, the same
    start = quoted(entry, r"start the accumulator at {n}")
    assert new.initial_accumulator_value == start
    assert inspect.signature(type(tf1)).parameters["initial_accumulator_value"].default == start
    assert quoted(entry, r"Keras adds ε = {n}") == pytest.approx(new.epsilon)

    entry, tf1, new = both("tf.train.RMSPropOptimizer", 0.01)
    assert new.rho == float(re.search(r"decay=([\d.]+)", entry.term).group(1))
    gradient = quoted(entry, r"a gradient of {n}")
    first_new = 1 - steps(new, 1, (gradient,))[0]
    first_tf1 = 1 - steps(tf1, 1, (gradient,))[0]
    assert first_new / first_tf1 == pytest.approx(
        quoted(entry, r"about {n} times larger"), rel=0.05
    )
    assert round(first_new / 0.01, 1) == quoted(entry, r"≈ {n}η")

    entry = entry_with("tf.train.exponential_decay")
    line = code_spans(entry.description)[0]
    call = ast.parse(line, mode="eval").body
    rate = next(kw.value for kw in call.keywords if kw.arg == "learning_rate")
    schedule = run(ast.unparse(rate))
    np.testing.assert_allclose(run(line).learning_rate, schedule(0))  # it holds the schedule
    tf1_span = span_with(entry, "tf.train.exponential_decay", "term")
    for global_step in (0, 3000, 10_000, 25_000):
        tf1_rate = tf1_code(tf1_span, global_step=global_step)
        tf1_rate = tf1_rate() if callable(tf1_rate) else tf1_rate
        np.testing.assert_allclose(schedule(global_step), tf1_rate, rtol=1e-6)


def test_losses(workdir):
    """The loss lines compute what the sources' losses meant, from what the sources passed."""
    import keras
    import numpy as np
    import tensorflow as tf

    names = namespace()
    x, y, model = names["x"], names["y"], names["model"]
    logits = model(x)
    probabilities = tf.nn.softmax(logits)

    entry = entry_with("tf.nn.sparse_softmax_cross_entropy_with_logits")
    per_example = tf1_code(span_with(entry, "logits=", "term"), y=y, logits=logits)
    np.testing.assert_allclose(
        run(code_spans(entry.description)[0], names), tf.reduce_mean(per_example), rtol=1e-6
    )

    entry = entry_with("tf.keras.losses.sparse_categorical_crossentropy")
    tf26 = eval(
        span_with(entry, "labels_batch", "term"),
        {"tf": tf, "labels_batch": y, "predictions": probabilities},
    )
    line = run(code_spans(entry.description)[0], names)
    np.testing.assert_allclose(line, tf26, rtol=1e-5)
    np.testing.assert_allclose(
        line, keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True), rtol=1e-5
    )
    wrong = keras.losses.sparse_categorical_crossentropy(
        y, logits
    )  # logits taken for probabilities
    assert not np.allclose(wrong, line, rtol=0.01), "the silent error the entry warns of"

    entry = entry_with("-tf.reduce_sum(y * tf.log(y))")
    tutorial_tf = types.SimpleNamespace(reduce_sum=tf.reduce_sum, log=tf.math.log)
    meant = eval(
        span_with(entry, "y_conv", "term"),
        {"tf": tutorial_tf, "y_": tf.one_hot(y, 10), "y_conv": probabilities},
    )
    line = run(code_spans(entry.description)[0], names)
    np.testing.assert_allclose(line, meant, rtol=1e-5)
    bug = eval(span_with(entry, "y * tf.log(y)", "term"), {"tf": tutorial_tf, "y": probabilities})
    assert not np.allclose(bug, line, rtol=0.01)
    np.testing.assert_allclose(
        bug, -tf.reduce_sum(probabilities * tf.math.log(probabilities))
    )  # entropy
    assert tf.math.log(0.0).numpy() == -np.inf
    assert quoted(entry, r"clips the probabilities to \[{n}, 1 − ") == keras.config.epsilon()


def test_accuracy_and_in_top_k(workdir):
    import numpy as np
    import tensorflow as tf

    entry = entry_with("tf.nn.in_top_k")
    names = namespace()
    x, y, model = names["x"], names["y"], names["model"]
    loss, accuracy = run(code_spans(entry.description)[0], names)
    by_hand = run(span_with(entry, "tf.reduce_mean(tf.cast"), names)
    tf1_correct = tf1_code(
        span_with(entry, "tf.nn.in_top_k", "term").split("=", 1)[1].strip(), logits=model(x), y=y
    )
    np.testing.assert_allclose(by_hand, tf.reduce_mean(tf.cast(tf1_correct, tf.float32)))
    np.testing.assert_array_equal(run(span_with(entry, "tf.math.in_top_k"), names), tf1_correct)
    valid = tf.equal(tf.argmax(model(names["x_valid"]), axis=1), names["y_valid"])
    assert accuracy == pytest.approx(float(tf.reduce_mean(tf.cast(valid, tf.float32))))
    assert list(inspect.signature(tf.nn.in_top_k).parameters)[:2] == ["targets", "predictions"]


def test_dropout(workdir):
    import numpy as np
    import tensorflow as tf

    entry = entry_with("tf.nn.dropout")
    names = namespace()
    x = names["x"]
    layer = run(code_spans(entry.description)[0], names)
    np.testing.assert_array_equal(layer(x, training=False), x)  # no keep_prob=1.0 needed
    keep_prob = 0.75
    tf1_kept = tf1_code(span_with(entry, "tf.nn.dropout", "term"), h_fc1=x, keep_prob=keep_prob)
    new_kept = type(layer)(1 - keep_prob)(x, training=True)  # rate = 1 - keep_prob
    for kept in (tf1_kept, new_kept):
        assert np.mean(kept.numpy() == 0) == pytest.approx(1 - keep_prob, abs=0.01)
    for _ in range(2):  # tf.nn.dropout drops on every call: no training switch
        assert np.mean(tf.nn.dropout(x, rate=0.5).numpy() == 0) > 0.45
    np.testing.assert_array_equal(tf.nn.dropout(x, rate=0.0), x)
    with pytest.raises(ValueError):
        tf.nn.dropout(x, rate=1.0)  # "below 1"

    entry = entry_with("tf.contrib.nn.alpha_dropout")
    layer = run(code_spans(entry.description)[0], names)
    np.testing.assert_array_equal(layer(x, training=False), x)  # drops only in training
    assert not np.allclose(layer(x, training=True), x)


def test_regularizers_and_gradients(workdir):
    import keras
    import numpy as np
    import tensorflow as tf

    entry = entry_with("l1_regularizer")
    layer = run(code_spans(entry.description)[0])
    layer.build((None, 784))
    np.testing.assert_allclose(
        layer.kernel_regularizer(layer.kernel),
        0.001 * tf.reduce_sum(tf.abs(layer.kernel)),
        rtol=1e-6,
    )
    assert (
        "`l2_regularizer(scale)` was half of `L2(scale)`, `scale * tf.nn.l2_loss(w)`"
        in entry.description
    )
    w = tf.constant(np.random.default_rng(0).normal(size=(4, 3)), tf.float32)
    np.testing.assert_allclose(
        keras.regularizers.L2(0.01)(w), 2 * 0.01 * tf.nn.l2_loss(w), rtol=1e-6
    )

    entry = entry_with("tf.gradients")
    assert "`tf.gradients` works only inside a `tf.function`" in entry.description
    with pytest.raises(RuntimeError):
        tf.gradients(tf.constant(1.0), [tf.constant(2.0)])
    square_slope = tf.function(lambda t: tf.gradients(t * t, [t])[0])
    assert float(square_slope(tf.constant(3.0))) == 6.0


def test_mnist_split():
    """The numbers the data entry quotes for helpers.data.load_splits."""
    import helpers

    entry = entry_with("input_data.read_data_sets")
    parameters = inspect.signature(helpers.data.load_splits).parameters
    assert quoted(entry, r"holds out the first {n}") == parameters["n_valid"].default
    assert parameters["flatten"].default and parameters["scale"].default
    assert "55,000 training, 5,000 validation" in entry.description


def test_unchanged_names_exist():
    import tensorflow as tf

    names = unchanged_names(GUIDE_TEXT)
    assert len(names) >= 5
    for name in names:
        assert name.startswith("tf."), name
        resolve(tf, name[len("tf.") :])


def resolve(module, dotted: str):
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


def test_dropped_names_survive_in_compat_v1_except_the_groups_named():
    """The note under "Graphs and sessions": what left TensorFlow 2 is in tf.compat.v1, except
    tf.contrib, tensorflow.examples and the tf.layers functions."""
    import tensorflow as tf

    gone = ("tf.contrib.", "tensorflow.examples.", "tf.layers.")
    for name in sorted(listed_names()):
        path = name.split(".", 1)[1]
        if name.startswith(gone):
            with pytest.raises(AttributeError):
                resolve(tf.compat.v1, path)
            continue
        try:
            resolve(tf, path)
        except AttributeError:
            resolve(tf.compat.v1, path)


# ---------------------------------------------------------------------------------------------
# 5. Links: every anchor exists (as myst_heading_anchors generates it), chapter links have one,
#    the linked section shows the code, and every linked page is in the book
# ---------------------------------------------------------------------------------------------


def heading_anchor_level() -> int:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return int(config.get("sphinx", {}).get("config", {}).get("myst_heading_anchors", 0))


def document_lines(document: Path) -> list[tuple[str, bool]]:
    """(line, may be a heading) for a notebook's cells or a Markdown page, fences excluded."""
    if document.suffix == ".ipynb":
        cells = nbformat.read(document, as_version=4).cells
        texts = [(cell.source, cell.cell_type == "markdown") for cell in cells]
    else:
        texts = [(document.read_text(encoding="utf-8"), True)]
    lines = []
    for text, markdown in texts:
        in_fence = False
        for line in text.splitlines():
            if markdown and re.match(r"^\s*(```|~~~)", line):
                in_fence = not in_fence
            lines.append((line, markdown and not in_fence))
    return lines


@functools.lru_cache(maxsize=None)
def document_sections(document: Path) -> dict[str, str]:
    """The text (Markdown and code) under each anchored heading of a document, by the anchor MyST
    generates: up to the next heading of the same or a higher level."""
    from myst_parser.mdit_to_docutils.base import default_slugify

    lines = document_lines(document)
    headings = []  # (line index, level, slug)
    slugs: set[str] = set()
    for index, (line, may_be_heading) in enumerate(lines):
        match = re.match(r"^(#{1,6}) (.+?)\s*$", line) if may_be_heading else None
        if match:
            slug = default_slugify(match.group(2).replace("`", ""))
            unique, i = slug, 1
            while unique in slugs:
                unique, i = f"{slug}-{i}", i + 1
            slugs.add(unique)
            headings.append((index, len(match.group(1)), unique))
    found = {}
    for k, (index, level, slug) in enumerate(headings):
        if level > heading_anchor_level():
            continue
        end = next((i for i, lv, _ in headings[k + 1 :] if lv <= level), len(lines))
        found[slug] = "\n".join(line for line, _ in lines[index + 1 : end])
    return found


#: Names too common to show that a section teaches a line: Python's own, the guide's namespace,
#: module paths, and arguments every section has.
GENERIC = (
    set(keyword.kwlist)
    | set(dir(builtins))
    | {"tf", "keras", "np", "functools", "layers", "optimizers", "losses", "initializers"}
    | {"constraints", "regularizers", "callbacks", "models", "utils", "backend", "ops", "nn"}
    | {"math", "train", "data", "config", "random", "activations", "schedules", "datasets"}
    | {"name", "verbose", "rng", "x", "y", "x_train", "y_train", "x_valid", "y_valid", "model"}
    | {"loss_fn", "optimizer", "tape", "loss", "grads"}
)


def identifiers(code: str) -> set[str]:
    """The names in ``code`` that are not GENERIC; all of them but Python's keywords where every
    one is (``from keras import layers``)."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", _blank_strings(code)))
    specific = {word for word in words if word not in GENERIC and len(word) > 1}
    return specific or words - set(keyword.kwlist)


def links_with_code(entry: Entry) -> list[tuple[str, set[str]]]:
    """(target, identifiers) for each link of an entry's description: the identifiers of the
    entry's TensorFlow 2 line and of the code between the previous link and this one."""
    line = code_spans(entry.description)[0]
    found, previous_end = [], 0
    for match in LINK.finditer(entry.description):
        before = entry.description[previous_end : match.start()]
        code = " ".join([line] + code_spans(before))
        found.append((match.group(2), identifiers(code)))
        previous_end = match.end()
    return found


def local_document(target: str) -> tuple[Path, str]:
    path, _, anchor = target.partition("#")
    return ((GUIDE.parent / path).resolve() if path else GUIDE), anchor


ALL_LINKS = sorted(set(target for _, target in LINK.findall(GUIDE_TEXT)))


def test_the_book_generates_heading_anchors():
    """Jupyter Book 1 passes myst_heading_anchors on only from sphinx.config, not from parse."""
    assert heading_anchor_level() >= 3


@pytest.mark.parametrize("target", ALL_LINKS)
def test_link_lands(target):
    if re.match(r"https?://", target):
        return
    document, anchor = local_document(target)
    relative = document.relative_to(ROOT).as_posix()
    if not document.is_file():
        if relative.startswith("chapters/"):
            pytest.skip(f"{relative} is being written")
        pytest.fail(f"the guide links to {relative}, which does not exist")
    if anchor:
        slugs = document_sections(document)
        assert anchor in slugs, f"no heading #{anchor} in {relative}; there are: {sorted(slugs)}"


def test_chapter_links_name_a_section():
    """A link to a chapter lands on the section that teaches the line, except the capstone's
    "end to end" link and links to chapters not written yet."""
    whole = []
    for target in ALL_LINKS:
        document, anchor = local_document(target)
        relative = document.relative_to(ROOT).as_posix()
        if relative.startswith("chapters/") and not anchor and document.is_file():
            if relative not in WHOLE_CHAPTER_LINKS:
                whole.append(target)
    assert not whole, f"links without a #section: {whole}"


def test_linked_sections_show_the_code():
    """Some identifier of the entry's TensorFlow 2 line (or of the code just before the link)
    occurs in the text and code of the section the link lands on."""
    problems = []
    for entry in ENTRIES:
        for target, names in links_with_code(entry):
            document, anchor = local_document(target)
            if not anchor or not document.is_file():
                continue
            text = document_sections(document).get(anchor, "")
            if not any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) for name in names):
                problems.append(f"{entry.term[:60]} → {target}: none of {sorted(names)}")
    assert not problems, "linked sections that do not show the entry's code:\n" + "\n".join(
        problems
    )


def test_a_section_without_the_code_is_reported():
    """The section check can fail: ch. 2's section on managing graphs mentions neither
    clear_session nor set_random_seed."""
    line = "keras.backend.clear_session(); keras.utils.set_random_seed(42)"
    document = ROOT / "chapters" / "02_tensorflow_fundamentals.ipynb"
    sections_of_2 = document_sections(document)
    assert identifiers(line) == {"clear_session", "set_random_seed"}
    assert not any(
        name in sections_of_2["managing-graphs-and-the-lifecycle-of-a-nodes-value"]
        for name in identifiers(line)
    )
    assert "clear_session" in sections_of_2["graphs-come-back-tffunction"]


def test_the_guide_and_the_pages_it_links_to_are_in_the_book():
    """The guide and every page it links to are in _toc.yml (Sphinx builds nothing else)."""
    from book_site import PAGES

    wanted = {GUIDE.relative_to(ROOT).with_suffix("").as_posix()}
    for target in ALL_LINKS:
        document, _ = local_document(target)
        if document.is_file():
            wanted.add(document.relative_to(ROOT).with_suffix("").as_posix())
    missing = sorted(wanted - set(PAGES))
    assert not missing, f"not in _toc.yml: {missing}"
