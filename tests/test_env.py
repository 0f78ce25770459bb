"""Tests of helpers.env (run mode, folders, versions, quiet stderr) and helpers.setup."""

import os
import platform
import sys
import types

import keras
import matplotlib as mpl
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework import (
    config as tf_config,
)  # the only way to read and undo op determinism

import helpers
from helpers import env, training

pytestmark = pytest.mark.usefixtures("clean_env")

FLAGS = [(env.is_quick, "BOOK_QUICK"), (env.is_batch, "BOOK_BATCH")]


@pytest.mark.parametrize(("flag", "name"), FLAGS)
def test_flags_are_off_when_unset(flag, name):
    assert flag() is False


@pytest.mark.parametrize(("flag", "name"), FLAGS)
@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_flags_understand_truthy_values(monkeypatch, flag, name, value):
    monkeypatch.setenv(name, value)
    assert flag() is True


@pytest.mark.parametrize(("flag", "name"), FLAGS)
@pytest.mark.parametrize("value", ["0", "false", "No", "off", "", "  "])
def test_flags_understand_falsy_values(monkeypatch, flag, name, value):
    monkeypatch.setenv(name, value)
    assert flag() is False


@pytest.mark.parametrize(("flag", "name"), FLAGS)
@pytest.mark.parametrize("value", ["maybe", "2", "y"])
def test_flags_reject_values_they_do_not_understand(monkeypatch, flag, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(
        ValueError, match=rf"{name}='{value}' is not understood; use 1 \(on\) or 0 \(off\)"
    ):
        flag()


@pytest.mark.parametrize("value", ["", "   "])
def test_data_dir_is_none_when_unset_or_blank(monkeypatch, value):
    assert env.data_dir() is None
    monkeypatch.setenv("BOOK_DATA_DIR", value)
    assert env.data_dir() is None


def test_data_dir_expands_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("BOOK_DATA_DIR", "~/book-data")
    assert env.data_dir() == tmp_path / "book-data"


def test_keras_cache_dir_honours_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert env.keras_cache_dir() == tmp_path / "kh" / "datasets"


def test_keras_cache_dir_defaults_to_dot_keras_in_home(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert env.keras_cache_dir() == tmp_path / ".keras" / "datasets"


def test_in_colab_detects_the_google_colab_module(monkeypatch):
    assert env.in_colab() is False
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert env.in_colab() is True


def test_gpu_devices_lists_tensorflows_gpu_names():
    gpus = env.gpu_devices()
    assert gpus == [device.name for device in tf.config.list_physical_devices("GPU")]
    assert all(name.startswith("/physical_device:GPU:") for name in gpus)


def test_versions_reports_python_tensorflow_and_keras():
    report = env.versions()
    assert list(report) == ["python", "numpy", "tensorflow", "keras", "matplotlib"]
    assert report["python"] == platform.python_version()
    assert report["tensorflow"] == tf.__version__
    assert report["keras"] == keras.__version__
    assert report["numpy"] == np.__version__


def test_versions_marks_missing_packages():
    assert env.versions(("keras", "no-such-package-helpers-test")) == {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "no-such-package-helpers-test": "not installed",
    }


def _lowest_free_fd() -> int:
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    return fd


def test_quiet_native_stderr_silences_fd2_and_restores_it(capfd):
    free_before = _lowest_free_fd()
    with env.quiet_native_stderr():
        os.write(2, b"native chatter\n")
    os.write(2, b"visible again\n")
    assert capfd.readouterr().err == "visible again\n"
    assert _lowest_free_fd() == free_before  # no file descriptor leaked


def test_quiet_native_stderr_restores_fd2_after_an_exception(capfd):
    with pytest.raises(RuntimeError), env.quiet_native_stderr():
        os.write(2, b"native chatter\n")
        raise RuntimeError("boom")
    os.write(2, b"visible again\n")
    assert capfd.readouterr().err == "visible again\n"


def test_quiet_native_stderr_leaves_stdout_alone(capfd):
    with env.quiet_native_stderr():
        os.write(1, b"result\n")
    assert capfd.readouterr().out == "result\n"


def test_describe_reports_versions_and_full_mode(monkeypatch):
    monkeypatch.setattr(env, "gpu_devices", lambda: [])
    lines = env.describe().splitlines()
    assert f"tensorflow  {tf.__version__}" in lines
    assert f"keras       {keras.__version__}" in lines
    assert "mode        full" in lines
    assert f"platform    {platform.system()}" in lines
    assert "GPUs        none (running on the CPU)" in lines


def test_describe_reports_quick_mode_colab_and_gpus(monkeypatch):
    monkeypatch.setenv("BOOK_QUICK", "1")
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(
        env, "gpu_devices", lambda: ["/physical_device:GPU:0", "/physical_device:GPU:1"]
    )
    lines = env.describe().splitlines()
    assert "mode        quick (small data subsets)" in lines
    assert "platform    Colab" in lines
    assert "GPUs        /physical_device:GPU:0, /physical_device:GPU:1" in lines


def test_describe_rejects_a_bad_quick_flag(monkeypatch):
    monkeypatch.setenv("BOOK_QUICK", "maybe")
    with pytest.raises(ValueError, match="BOOK_QUICK"):
        env.describe()


@pytest.fixture
def restore_global_state():
    """Undo what helpers.setup changes process-wide: op determinism and the figure style."""
    determinism = tf_config.is_op_determinism_enabled()
    with mpl.rc_context():
        yield
    if not determinism:
        tf_config.disable_op_determinism()


@pytest.mark.usefixtures("restore_global_state")
def test_setup_reports_seeds_and_styles(capsys):
    helpers.setup(seed=7)
    drawn = np.random.random()
    assert "mode        full" in capsys.readouterr().out.splitlines()
    assert tf_config.is_op_determinism_enabled()
    assert mpl.rcParams["figure.figsize"] == [7.0, 4.0]
    training.reset(7)
    assert np.random.random() == drawn


class FakeGPUConfig:
    """Stands in for ``tf.config`` on a machine with two GPUs."""

    def __init__(self, initialized=False):
        self.grown, self.initialized = [], initialized
        self.gpus = [types.SimpleNamespace(name=f"/physical_device:GPU:{i}") for i in (0, 1)]

    def list_physical_devices(self, kind):
        return self.gpus if kind == "GPU" else []

    def set_memory_growth(self, device, enable):
        if self.initialized:
            raise RuntimeError("Physical devices cannot be modified after being initialized")
        self.grown.append((device.name, enable))


def test_memory_growth_is_enabled_on_every_gpu(monkeypatch):
    fake = FakeGPUConfig()
    monkeypatch.setattr(tf.config, "list_physical_devices", fake.list_physical_devices)
    monkeypatch.setattr(tf.config.experimental, "set_memory_growth", fake.set_memory_growth)
    assert env.enable_memory_growth() == ["/physical_device:GPU:0", "/physical_device:GPU:1"]
    assert fake.grown == [("/physical_device:GPU:0", True), ("/physical_device:GPU:1", True)]


def test_memory_growth_too_late_warns_instead_of_failing(monkeypatch):
    fake = FakeGPUConfig(initialized=True)
    monkeypatch.setattr(tf.config, "list_physical_devices", fake.list_physical_devices)
    monkeypatch.setattr(tf.config.experimental, "set_memory_growth", fake.set_memory_growth)
    with pytest.warns(UserWarning, match="Restart the runtime and import helpers first"):
        assert len(env.enable_memory_growth()) == 2


def test_memory_growth_on_a_cpu_only_machine_does_nothing():
    assert env.enable_memory_growth() == env.gpu_devices()


def test_device_names_the_gpus_by_their_model(monkeypatch):
    fake = FakeGPUConfig()
    monkeypatch.setattr(tf.config, "list_physical_devices", fake.list_physical_devices)
    models = {"/physical_device:GPU:0": {"device_name": "Tesla T4"}, "/physical_device:GPU:1": {}}
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda gpu: models[gpu.name])
    assert env.device() == "GPU: Tesla T4, /physical_device:GPU:1"


def test_device_on_a_cpu_only_machine_counts_the_cores(monkeypatch):
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind: [])
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    assert env.device() == "CPU, 2 cores"
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")  # as `make execute` runs two chapters
    assert env.device() == "CPU, 2 cores, TensorFlow on 1 thread"
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "4")
    assert env.device() == "CPU, 2 cores, TensorFlow on 4 threads"
