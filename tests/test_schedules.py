import keras
import numpy as np
import pytest

from helpers import schedules, training


def test_one_cycle_rises_falls_and_decays():
    one_cycle = schedules.OneCycle(max_rate=0.1, total_steps=1000)
    rates = [float(one_cycle(t)) for t in (0, 450, 900, 1000)]
    np.testing.assert_allclose(rates, [0.01, 0.1, 0.01, 0.0001], rtol=1e-5)


def test_one_cycle_survives_saving_with_an_optimizer(tmp_path):
    model = training.build_mlp((4,), n_inputs=3)
    model.compile(
        optimizer=keras.optimizers.SGD(schedules.OneCycle(0.2, 100, up_share=0.3)),
        loss="sparse_categorical_crossentropy",
    )
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    saved = loaded.optimizer.get_config()["learning_rate"]
    assert saved["config"] == {"max_rate": 0.2, "total_steps": 100, "up_share": 0.3}
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.02)  # max_rate / 10 at step 0


@pytest.mark.parametrize("up_share", [0, 0.5, 0.7])
def test_one_cycle_rejects_an_up_share_without_a_way_down(up_share):
    with pytest.raises(ValueError, match="between 0 and 0.5"):
        schedules.OneCycle(0.1, 100, up_share=up_share)


def small_problem(n=2048, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10)).astype("float32")
    return X, (X[:, 0] > 0).astype("int64")


def test_the_finder_grows_the_rate_and_stops_when_the_loss_explodes():
    X, y = small_problem()
    rates, losses = schedules.find_learning_rate(
        lambda: training.build_mlp((16,), n_inputs=10), X, y, batch_size=16, highest=1e3
    )
    assert len(rates) == len(losses) < len(X) // 16  # stopped before the end
    assert np.all(np.diff(rates) > 0)
    assert rates[0] == pytest.approx(1e-5)
    assert not np.isfinite(losses[-1]) or losses[-1] > 4 * losses.min()
    assert losses.min() < losses[0]  # it did learn somewhere on the way


def test_the_finder_is_reproducible_and_takes_another_optimizer():
    X, y = small_problem()
    build = lambda: training.build_mlp((16,), n_inputs=10)  # noqa: E731
    first = schedules.find_learning_rate(build, X, y, batch_size=64, highest=1.0)
    again = schedules.find_learning_rate(build, X, y, batch_size=64, highest=1.0)
    np.testing.assert_array_equal(first[1], again[1])
    nadam = schedules.find_learning_rate(
        build, X, y, optimizer=keras.optimizers.Nadam, batch_size=64, highest=1.0
    )
    assert not np.array_equal(first[1][:10], nadam[1][:10])


def test_the_finder_needs_at_least_two_batches():
    X, y = small_problem(n=100)
    with pytest.raises(ValueError, match="needs at least two steps"):
        schedules.find_learning_rate(lambda: training.build_mlp((4,), n_inputs=10), X, y)
