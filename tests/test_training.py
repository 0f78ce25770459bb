"""Tests of helpers.training: resets, the MLP builder, the epoch log, runs, train() and compare()."""

import functools

import keras
import numpy as np
import pytest

from helpers import training

pytestmark = pytest.mark.usefixtures("clean_env")


def weights_of(model):
    return [w.numpy() for w in model.weights]


def tiny_data(n=64, n_inputs=20, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, n_inputs), dtype=np.float32), rng.integers(0, 10, n)


def compiled_mlp(n_inputs=20):
    model = training.build_mlp((16,), n_inputs=n_inputs)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model


# --- reset -----------------------------------------------------------------------------------


def test_reset_makes_fresh_models_identical():
    training.reset(3)
    first = weights_of(training.build_mlp((8,), n_inputs=5))
    training.reset(3)
    second = training.build_mlp((8,), n_inputs=5)
    assert second.layers[0].name == "hidden1"  # cleared session: names start afresh
    for a, b in zip(first, weights_of(second)):
        np.testing.assert_array_equal(a, b)


def test_reset_with_another_seed_gives_other_weights():
    training.reset(3)
    first = weights_of(training.build_mlp((8,), n_inputs=5))
    training.reset(4)
    assert not np.array_equal(first[0], weights_of(training.build_mlp((8,), n_inputs=5))[0])


def test_reset_seeds_numpy():
    training.reset(11)
    drawn = np.random.random(3)
    training.reset(11)
    np.testing.assert_array_equal(np.random.random(3), drawn)


# --- build_mlp -------------------------------------------------------------------------------


def test_build_mlp_builds_the_sources_classifier():
    model = training.build_mlp()
    assert model.name == "mlp"
    assert [layer.name for layer in model.layers] == ["hidden1", "hidden2", "outputs"]
    assert [layer.units for layer in model.layers] == [300, 100, 10]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "relu", "softmax"]
    assert model.input_shape == (None, 784)
    assert model.count_params() == 266_610  # 784*300+300 + 300*100+100 + 100*10+10


def test_build_mlp_outputs_class_probabilities():
    model = training.build_mlp((8, 4), n_inputs=6, n_outputs=3)
    probabilities = model(np.ones((5, 6), np.float32)).numpy()
    assert probabilities.shape == (5, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-6)


def test_build_mlp_accepts_a_layer_class_as_activation():
    model = training.build_mlp(activation=keras.layers.PReLU, name="prelu_mlp")
    assert [layer.name for layer in model.layers] == [
        "hidden1",
        "activation1",
        "hidden2",
        "activation2",
        "outputs",
    ]
    assert isinstance(model.layers[1], keras.layers.PReLU)
    assert model.layers[0].activation.__name__ == "linear"
    assert model.count_params() == 266_610 + 300 + 100  # one learned slope per hidden unit


def test_build_mlp_gives_activation_and_initializer_to_the_hidden_layers():
    model = training.build_mlp((4, 3), activation="sigmoid", kernel_initializer="zeros", n_inputs=5)
    hidden1, hidden2, outputs = model.layers
    assert (hidden1.activation.__name__, hidden2.activation.__name__) == ("sigmoid", "sigmoid")
    assert not hidden1.kernel.numpy().any() and not hidden2.kernel.numpy().any()
    assert outputs.kernel.numpy().any()  # the softmax layer keeps Keras' default initializer


@pytest.mark.parametrize("seed", [None, 7])
def test_build_mlp_gives_every_hidden_layer_its_own_random_weights(seed):
    # One initializer object for all layers: Keras 3 alone would draw the same matrix for each.
    shared = keras.initializers.RandomNormal(stddev=1.0, seed=seed)
    model = training.build_mlp((5, 5, 5), kernel_initializer=shared, n_inputs=5)
    kernels = [layer.kernel.numpy() for layer in model.layers[:3]]
    assert not np.array_equal(kernels[0], kernels[1])
    assert not np.array_equal(kernels[1], kernels[2])
    assert 0.5 < np.std(kernels) < 1.5  # still the initializer the caller asked for
    assert shared.get_config()["seed"] == seed  # the caller's object is left alone


def test_build_mlp_with_a_seeded_initializer_is_reproducible():
    def build():
        initializer = keras.initializers.HeNormal(seed=3)
        return training.build_mlp((4, 4), kernel_initializer=initializer, n_inputs=4)

    for first, second in zip(weights_of(build())[:4], weights_of(build())[:4]):
        np.testing.assert_array_equal(first, second)


def test_build_mlp_accepts_a_layer_maker_with_arguments():
    model = training.build_mlp(
        (4,), activation=functools.partial(keras.layers.LeakyReLU, negative_slope=0.01), n_inputs=3
    )
    assert model.layers[1].negative_slope == pytest.approx(0.01)


def test_build_mlp_models_with_activation_layers_can_be_saved(tmp_path):
    model = training.build_mlp(
        (4,), activation=functools.partial(keras.layers.LeakyReLU, negative_slope=0.01), n_inputs=3
    )
    model.save(tmp_path / "mlp.keras")
    loaded = keras.models.load_model(tmp_path / "mlp.keras")
    X = np.ones((2, 3), dtype="float32")
    np.testing.assert_allclose(loaded(X), model(X))


@pytest.mark.parametrize("activation", [keras.activations.relu, 3, lambda: "relu"])
def test_build_mlp_rejects_what_makes_no_activation_layer(activation):
    with pytest.raises(
        TypeError, match="neither an activation name nor a maker of activation layers"
    ):
        training.build_mlp((4,), activation=activation, n_inputs=3)


@pytest.mark.parametrize("n_hidden", [(), [], (300, 0), (-1,)])
def test_build_mlp_rejects_bad_hidden_sizes(n_hidden):
    with pytest.raises(ValueError, match=r"n_hidden=.* must list at least one positive layer size"):
        training.build_mlp(n_hidden)


# --- EpochLog --------------------------------------------------------------------------------


def run_epoch_log(log, logs_per_epoch):
    """Drive an EpochLog as model.fit does, one ``logs`` dict per epoch."""
    log.set_params({"epochs": len(logs_per_epoch), "verbose": 0})
    log.on_train_begin()
    for epoch, logs in enumerate(logs_per_epoch):
        log.on_epoch_end(epoch, logs)


LOGS = [
    {"loss": 1 / (e + 1), "accuracy": 0.5 + e / 100, "val_accuracy": 0.4 + e / 100, "val_loss": 9.0}
    for e in range(7)
]


@pytest.mark.parametrize("every", [0, -2])
def test_epoch_log_needs_a_positive_interval(every):
    with pytest.raises(ValueError, match=f"every={every} must be a positive number of epochs"):
        training.EpochLog(every=every)


def test_epoch_log_prints_every_few_epochs_and_the_last(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_BATCH", "1")
    run_epoch_log(training.EpochLog(every=3), LOGS)
    assert capsys.readouterr().out.splitlines() == [
        "epoch   0  loss 1.0000  accuracy 0.5000  val_accuracy 0.4000",
        "epoch   3  loss 0.2500  accuracy 0.5300  val_accuracy 0.4300",
        "epoch   6  loss 0.1429  accuracy 0.5600  val_accuracy 0.4600",
    ]


def test_epoch_log_adds_the_last_epoch_off_the_interval(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_BATCH", "1")
    run_epoch_log(training.EpochLog(every=4), LOGS[:6])
    assert [line[:9] for line in capsys.readouterr().out.splitlines()] == [
        "epoch   0",
        "epoch   4",
        "epoch   5",
    ]


def test_epoch_log_shows_only_the_metrics_asked_for_and_recorded(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_BATCH", "1")
    run_epoch_log(training.EpochLog(metrics=("val_loss", "val_accuracy", "lr")), LOGS[:1])
    assert capsys.readouterr().out == "epoch   0  val_loss 9.0000  val_accuracy 0.4000\n"


def test_epoch_log_shows_a_progress_bar_when_someone_watches(capsys):
    run_epoch_log(training.EpochLog(every=3), LOGS)
    out = capsys.readouterr().out
    assert "1/7" in out
    assert "epoch   6  loss 0.1429" in out


def test_epoch_log_has_no_progress_bar_in_batch_mode(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_BATCH", "1")
    run_epoch_log(training.EpochLog(), LOGS[:2])
    out = capsys.readouterr().out
    assert "\r" not in out and "1/2" not in out
    assert len(out.splitlines()) == 2


def test_epoch_log_lines_start_on_a_new_line_below_the_bar(capsys):
    run_epoch_log(training.EpochLog(), LOGS[:1])
    out = capsys.readouterr().out
    assert out[out.index("epoch   0") - 1] == "\n"


# --- Run -------------------------------------------------------------------------------------


@pytest.fixture
def run():
    history = {"loss": [0.7, 0.4, 0.3], "val_accuracy": [0.81234, 0.90456, 0.89999]}
    return training.Run(
        "SGD", history, seconds=12.345, setup={"optimizer": "SGD 0.01", "batch": 50}
    )


def test_run_best_is_the_highest_value_and_its_epoch(run):
    assert run.best() == (1, 0.90456)
    assert run.best("loss") == (0, 0.7)


def test_run_best_of_an_unrecorded_metric_lists_the_recorded_ones(run):
    with pytest.raises(
        KeyError, match=r"Run 'SGD' has no 'accuracy'; it recorded \['loss', 'val_accuracy'\]"
    ):
        run.best("accuracy")


def test_run_at_returns_the_metric_after_an_epoch(run):
    assert run.at(0) == 0.81234
    assert run.at(2, "loss") == 0.3


@pytest.mark.parametrize("epoch", [3, -1])
def test_run_at_rejects_epochs_that_did_not_happen(run, epoch):
    with pytest.raises(
        IndexError, match=f"Run 'SGD' trained 3 epochs; epoch {epoch} does not exist"
    ):
        run.at(epoch)


def test_run_row_is_a_table_row(run):
    row = run.row()
    assert row == {
        "run": "SGD",
        "optimizer": "SGD 0.01",
        "batch": 50,
        "best val_accuracy": 0.9046,
        "best epoch": 1,
        "final val_accuracy": 0.9,
        "seconds": 12.3,
    }
    assert list(row)[:3] == ["run", "optimizer", "batch"]


# --- train -----------------------------------------------------------------------------------


def test_train_refuses_an_uncompiled_model():
    model = training.build_mlp((4,), n_inputs=20, name="raw")
    with pytest.raises(ValueError, match=r"Model 'raw' is not compiled; call model.compile"):
        training.train("r", model, tiny_data(), tiny_data(), epochs=1, batch_size=8)


def test_train_refuses_inputs_and_labels_of_different_lengths():
    X, y = tiny_data()
    with pytest.raises(ValueError, match="64 training inputs but 63 labels"):
        training.train("r", compiled_mlp(), (X, y[:-1]), (X, y), epochs=1, batch_size=8)


def test_train_returns_a_run_with_history_time_and_setup(monkeypatch, capsys):
    monkeypatch.setenv("BOOK_BATCH", "1")
    training.reset(0)
    train_data, valid_data = tiny_data(), tiny_data(n=32, seed=1)
    run = training.train(
        "tiny",
        compiled_mlp(),
        train_data,
        valid_data,
        epochs=2,
        batch_size=16,
        log_every=1,
        optimizer="SGD",
    )
    assert run.name == "tiny"
    assert run.setup == {"optimizer": "SGD"}
    assert sorted(run.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(
        len(values) == 2 and all(type(v) is float for v in values)
        for values in run.history.values()
    )
    assert run.seconds > 0
    assert len(run.epoch_seconds) == 2 and 0 < sum(run.epoch_seconds) <= run.seconds
    assert run.seconds_per_epoch() == run.epoch_seconds[1]  # the first epoch traces the graph
    assert run.at(1) == run.history["val_accuracy"][1]
    assert run.row()["best epoch"] == run.best()[0]
    h = run.history
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"epoch   1  loss {h['loss'][1]:.4f}  accuracy {h['accuracy'][1]:.4f}  val_accuracy {h['val_accuracy'][1]:.4f}"
    )


# --- compare: the comparison protocol ---------------------------------------------------------


def tiny_contestants():
    return {
        "relu": lambda: training.build_mlp((8,), activation="relu", n_inputs=20),
        "sigmoid": training.Contestant(
            build=lambda: training.build_mlp((8,), activation="sigmoid", n_inputs=20),
            optimizer=lambda: keras.optimizers.SGD(learning_rate=0.1),
            preprocess=lambda X: X - 0.5,
        ),
    }


def test_default_seeds_are_three_in_full_mode_and_one_in_quick(monkeypatch):
    assert len(training.default_seeds()) == 3
    monkeypatch.setenv("BOOK_QUICK", "1")
    assert len(training.default_seeds()) == 1


@pytest.fixture(scope="module")
def comparison():
    train_data, valid_data = tiny_data(64, seed=0), tiny_data(32, seed=1)
    return training.compare(
        tiny_contestants(), train_data, valid_data, epochs=2, batch_size=16, seeds=(1, 2, 3)
    )


def test_steps_per_execution_leaves_the_weights_bit_identical():
    X, y = tiny_data(96)
    weights = []
    for steps in (1, 10):
        training.reset(3)
        model = training.build_mlp((8,), n_inputs=20)
        model.compile(
            loss="sparse_categorical_crossentropy", optimizer="sgd", steps_per_execution=steps
        )
        model.fit(X, y, epochs=2, batch_size=8, verbose=0)
        weights.append(weights_of(model))
    for one_step, ten_steps in zip(*weights):
        np.testing.assert_array_equal(one_step, ten_steps)


def test_compare_trains_every_contestant_once_per_seed(comparison):
    assert list(comparison.runs) == ["relu", "sigmoid"]
    for runs in comparison.runs.values():
        assert [run.setup["seed"] for run in runs] == [1, 2, 3]
        assert all(len(run.values("val_accuracy")) == 2 for run in runs)
    table = comparison.table()
    assert len(table) == 6
    assert list(table.columns) == [
        "contestant",
        "seed",
        "final val_accuracy",
        "epochs",
        "seconds",
    ]


def test_compare_is_reproducible_and_seeds_differ():
    train_data, valid_data = tiny_data(64, seed=0), tiny_data(32, seed=1)
    contestants = {"relu": tiny_contestants()["relu"]}
    first = training.compare(
        contestants, train_data, valid_data, epochs=1, batch_size=16, seeds=(5, 6)
    )
    again = training.compare(
        contestants, train_data, valid_data, epochs=1, batch_size=16, seeds=(5, 6)
    )
    losses = [run.values("loss") for run in first.runs["relu"]]
    assert losses == [run.values("loss") for run in again.runs["relu"]]
    assert losses[0] != losses[1]


def test_compare_summary_is_mean_and_sd_best_first(comparison):
    summary = comparison.summary()
    assert list(summary.columns) == ["mean", "sd", "seeds", "epochs", "seconds per run"]
    assert summary["mean"].is_monotonic_decreasing
    for name in comparison.runs:
        scores = comparison.scores(name)
        assert summary.loc[name, "mean"] == pytest.approx(scores.mean())
        assert summary.loc[name, "sd"] == pytest.approx(np.std(scores, ddof=1))
        assert summary.loc[name, "seeds"] == 3


def test_compare_report_reads_mean_plus_minus_sd(comparison):
    report = comparison.report()
    name = report.index[0]
    scores = comparison.scores(name)
    assert report.loc[name, "val_accuracy (mean ± sd)"] == (
        f"{scores.mean():.4f} ± {np.std(scores, ddof=1):.4f}"
    )
    assert list(report.columns) == ["val_accuracy (mean ± sd)", "seeds", "seconds per run"]


def fixed_comparison(scores: dict[str, list[float]]) -> training.Comparison:
    runs = {
        name: [
            training.Run(name, {"val_accuracy": [0.0, score]}, 1.0, {"seed": seed})
            for seed, score in enumerate(values)
        ]
        for name, values in scores.items()
    }
    return training.Comparison("val_accuracy", runs)


def test_a_gap_under_two_standard_deviations_is_a_tie():
    result = fixed_comparison(
        {"a": [0.90, 0.92, 0.94], "b": [0.89, 0.91, 0.93], "c": [0.50, 0.51, 0.52]}
    )
    assert result.tie("a", "b") and result.tie("b", "a")
    assert not result.tie("a", "c")
    assert result.ranking() == "a ≈ b > c"


def test_ranking_puts_no_greater_sign_between_tied_contestants():
    # a leads b clearly; c ties b; d does not tie b but ties c: no ">" may stand between c and d
    result = fixed_comparison(
        {
            "a": [0.950, 0.951, 0.952],
            "b": [0.900, 0.905, 0.910],
            "c": [0.885, 0.895, 0.905],
            "d": [0.874, 0.884, 0.894],
            "e": [0.10, 0.11, 0.12],
        }
    )
    assert result.tie("b", "c") and result.tie("c", "d") and not result.tie("b", "d")
    assert result.ranking() == "a > b ≈ c ≈ d > e"


def test_verdict_says_who_is_ahead_or_that_it_is_a_tie():
    result = fixed_comparison(
        {"a": [0.90, 0.92, 0.94], "b": [0.89, 0.91, 0.93], "c": [0.50, 0.51, 0.52]}
    )
    assert result.verdict("a", "b") == "a ≈ b"
    assert result.verdict("c", "a") == "a > c"
    assert result.verdict("a", "c") == "a > c"


def test_with_one_seed_every_pair_is_a_tie():
    result = fixed_comparison({"a": [0.9], "b": [0.1]})
    assert result.tie("a", "b")
    assert result.ranking() == "a ≈ b"
    assert result.report().loc["a", "val_accuracy (mean ± sd)"] == "0.9000"  # no spread to show
    assert np.isnan(result.summary().loc["a", "sd"])


def test_diverged_runs_are_counted_and_shown():
    def run(name, seed, loss):
        return training.Run(
            name, {"loss": [1.0, loss], "val_accuracy": [0.1, 0.098]}, 1.0, {"seed": seed}
        )

    result = training.Comparison(
        "val_accuracy",
        {
            "fine": [run("fine", 0, 0.5), run("fine", 1, 0.4)],
            "lost": [run("lost", 0, float("nan")), run("lost", 1, float("inf"))],
        },
    )
    assert [result.diverged("fine"), result.diverged("lost")] == [0, 2]
    assert result.report()["diverged runs"].to_dict() == {"fine": 0, "lost": 2}
    assert result.table()["diverged"].tolist() == [False, False, True, True]
    with pytest.raises(KeyError, match="No contestant"):
        result.diverged("other")


def test_the_report_has_no_diverged_column_when_nothing_diverged(comparison):
    assert "diverged runs" not in comparison.report()
    assert "diverged" not in comparison.table()


def test_compare_says_when_a_run_diverges(capsys):
    X, y = tiny_data()
    result = training.compare(
        {"huge step": lambda: training.build_mlp((64,) * 4, "relu", "he_normal", n_inputs=20)},
        (X, y),
        (X, y),
        epochs=2,
        batch_size=8,
        seeds=(0,),
        optimizer=lambda: keras.optimizers.SGD(learning_rate=1e6),
    )
    assert result.diverged("huge step") == 1
    assert "diverged (loss not finite)" in capsys.readouterr().out


def test_a_loss_ranks_lowest_first():
    runs = {
        name: [training.Run(name, {"val_loss": [value]}, 1.0, {"seed": 0})]
        for name, value in {"high": 2.0, "low": 0.5}.items()
    }
    assert list(training.Comparison("val_loss", runs).summary().index) == ["low", "high"]


def test_comparison_scores_of_an_unknown_contestant_name_the_known_ones(comparison):
    with pytest.raises(
        KeyError, match=r"No contestant 'tanh'; the contestants are \['relu', 'sigmoid'\]"
    ):
        comparison.scores("tanh")


def test_comparison_plot_shows_every_run_and_every_contestant(comparison):
    ax = comparison.plot(title="tiny")
    assert [label.get_text() for label in ax.get_yticklabels()] == list(comparison.summary().index)[
        ::-1
    ]
    assert len(ax.collections[0].get_offsets()) == 6  # one dot per run


def test_comparison_plot_can_leave_a_contestant_out(comparison):
    ax = comparison.plot(omit=["sigmoid"])
    assert [label.get_text() for label in ax.get_yticklabels()] == ["relu"]
    assert len(ax.collections[0].get_offsets()) == 3
    with pytest.raises(KeyError, match="No contestant 'selu'"):
        comparison.plot(omit=["selu"])


def compare_tiny(**kwargs):
    arguments = dict(
        contestants=tiny_contestants(),
        train_data=tiny_data(32, seed=0),
        valid_data=tiny_data(16, seed=1),
        epochs=1,
        batch_size=16,
        seeds=(1,),
    )
    arguments.update(kwargs)
    return training.compare(**arguments)


def test_compare_rejects_an_unknown_metric():
    with pytest.raises(ValueError, match=r"Unknown metric 'val_acc'; choose one of"):
        compare_tiny(metric="val_acc")


def test_compare_rejects_zero_seeds():
    with pytest.raises(ValueError, match="at least one seed"):
        compare_tiny(seeds=())


def test_compare_rejects_no_contestants():
    with pytest.raises(ValueError, match="at least one contestant"):
        compare_tiny(contestants={})


def test_compare_names_a_contestant_that_fails_to_compile():
    broken = training.Contestant(
        build=lambda: training.build_mlp((4,), n_inputs=20), optimizer=lambda: "no-such-optimizer"
    )
    with pytest.raises(ValueError, match="Contestant 'broken' could not be built and compiled"):
        compare_tiny(contestants={"broken": broken})


def test_compare_names_a_contestant_whose_build_is_not_a_model():
    with pytest.raises(ValueError, match="Contestant 'nothing' could not be built"):
        compare_tiny(contestants={"nothing": lambda: None})


def test_compare_rejects_mismatched_inputs_and_labels():
    X, y = tiny_data(32)
    with pytest.raises(ValueError, match="32 training inputs but 31 labels"):
        compare_tiny(train_data=(X, y[:-1]))


def test_compare_rejects_validation_data_with_other_features():
    with pytest.raises(ValueError, match="do not match; give both sets the same features"):
        compare_tiny(valid_data=tiny_data(16, n_inputs=19))


def test_compare_rejects_test_data_with_other_features():
    with pytest.raises(ValueError, match="test inputs of shape"):
        compare_tiny(test_data=tiny_data(16, n_inputs=19))


def test_a_test_metric_needs_test_data():
    with pytest.raises(ValueError, match="test_\\* metrics need test_data"):
        compare_tiny(metric="test_accuracy")


def test_compare_scores_on_test_data_with_the_kept_models():
    X_test, y_test = tiny_data(24, seed=5)
    result = compare_tiny(test_data=(X_test, y_test), metric="test_accuracy")
    preprocessed = {"relu": X_test, "sigmoid": X_test - 0.5}  # as tiny_contestants() prepares
    for name, runs in result.runs.items():
        for run, score in zip(runs, result.scores(name)):
            assert run.model is not None
            predicted = run.model.predict(preprocessed[name], verbose=0).argmax(axis=1)
            assert score == pytest.approx(np.mean(predicted == y_test))


def test_a_run_without_test_data_says_how_to_get_a_test_score(comparison):
    run = comparison.runs["relu"][0]
    with pytest.raises(KeyError, match="pass test_data to compare"):
        run.final("test_accuracy")


def test_a_contestant_callback_that_stops_early_shows_in_the_report(capsys):
    stop_early = training.Contestant(
        build=lambda: training.build_mlp((8,), n_inputs=20),
        callbacks=lambda: [
            keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
        ],
    )
    result = compare_tiny(
        contestants={"stops": stop_early, "plain": tiny_contestants()["relu"]}, epochs=4
    )
    assert [run.epochs for run in result.runs["stops"]] == [2]  # the first epoch sets the best
    assert [run.epochs for run in result.runs["plain"]] == [4]
    assert result.stopped_early()
    assert result.report()["epochs (mean)"].to_dict() == {"stops": 2.0, "plain": 4.0}
    assert "stopped after 2 epochs" in capsys.readouterr().out


def test_the_report_has_no_epochs_column_when_every_run_used_the_budget(comparison):
    assert not comparison.stopped_early()
    assert "epochs (mean)" not in comparison.report().columns


def test_a_contestant_can_train_with_its_own_loss():
    X, y = tiny_data(32)
    one_hot = (np.eye(10)[y], np.eye(10)[tiny_data(16, seed=1)[1]])
    smoothing = training.Contestant(
        build=lambda: training.build_mlp((8,), n_inputs=20),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
    )
    plain = training.Contestant(
        build=lambda: training.build_mlp((8,), n_inputs=20), loss="categorical_crossentropy"
    )
    result = compare_tiny(
        contestants={"smoothing": smoothing, "plain": plain},
        train_data=(X, one_hot[0]),
        valid_data=(tiny_data(16, seed=1)[0], one_hot[1]),
    )
    smoothed, hard = (result.runs[name][0].values("loss")[0] for name in ("smoothing", "plain"))
    assert smoothed != pytest.approx(hard)
    assert result.runs["smoothing"][0].model.loss.label_smoothing == 0.1


def test_seconds_per_epoch_leaves_out_the_tracing_epoch_and_resists_an_odd_one():
    run = training.Run("r", {"loss": [1.0] * 5}, 9.0, epoch_seconds=[5.0, 1.0, 1.2, 1.1, 4.0])
    assert run.seconds_per_epoch() == pytest.approx(1.15)
    assert training.Run("one", {}, 2.0, epoch_seconds=[2.0]).seconds_per_epoch() == 2.0
    with pytest.raises(ValueError, match="no epoch times"):
        training.Run("bare", {}, 1.0).seconds_per_epoch()


def test_compare_records_each_epochs_time():
    run = compare_tiny(epochs=2).runs["relu"][0]
    assert len(run.epoch_seconds) == 2 and all(t > 0 for t in run.epoch_seconds)


def test_validation_and_test_data_are_evaluated_in_large_batches(monkeypatch):
    seen = {}
    fit, evaluate = keras.Model.fit, keras.Model.evaluate

    def recording_fit(self, *args, **kwargs):
        seen["validation_batch_size"] = kwargs.get("validation_batch_size")
        return fit(self, *args, **kwargs)

    def recording_evaluate(self, *args, **kwargs):
        seen["evaluate_batch_size"] = kwargs.get("batch_size")
        return evaluate(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", recording_fit)
    monkeypatch.setattr(keras.Model, "evaluate", recording_evaluate)
    compare_tiny(test_data=tiny_data(16, seed=2), metric="test_accuracy")
    assert seen == {"validation_batch_size": 1000, "evaluate_batch_size": 1000}
