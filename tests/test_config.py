import numpy as np
import pytest

from steepest.config import ConfigError, TrainConfig, is_number, read_toml


@pytest.mark.parametrize("field, value", [("epochs", 0), ("batch_size", -1),
                                          ("learning_rate", -0.1), ("learning_rate", float("nan"))])
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=f"{field} must be a positive"):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("key, value, message", [
    ("optimizer", "rmsprop", "unknown optimizer 'rmsprop'; choose one of: sgd, momentum"),
    ("activation", "swish", "unknown activation 'swish'; choose one of: sigmoid, tanh"),
    ("schedule", "linear", "unknown schedule 'linear'; choose one of: constant, step, cosine"),
    ("dropout", 1.0, r"dropout must be a number in \[0, 1\), got 1.0 \(a float\)"),
    ("learning_rate", -1e-3, r"learning_rate must be a positive number, got -0.001 \(a float\)"),
])
def test_bad_settings_name_value_and_choices(key, value, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{key: value})


@pytest.mark.parametrize("key, value, message", [
    # a non-empty string is truthy: these used to train *with* augmentation
    ("augment", "no", r"augment must be true or false \(a boolean\), got 'no' \(a str\)"),
    ("restore_best", "false",
     r"restore_best must be true or false \(a boolean\), got 'false' \(a str\)"),
    ("augment", 1, r"augment must be true or false \(a boolean\), got 1 \(a int\)"),
    # 15.7 used to become 15 units
    ("hidden", [15.7], r"hidden must be a list of positive ints, got \[15.7\]: 15.7 \(a float\)"),
    ("hidden", [True], r"hidden must be a list of positive ints, got \[True\]: True \(a bool\)"),
    ("hidden", "15", r"hidden must be a list of positive ints, got '15' \(a str\)"),
    ("hidden", [15, 0], r"hidden sizes must be positive ints, got \[15, 0\]"),
    ("epochs", 2.0, r"epochs must be a positive int, got 2.0 \(a float\)"),
    ("seed", "0", r"seed must be an int >= 0, got '0' \(a str\)"),
    ("batch_size", True, r"batch_size must be a positive int, got True \(a bool\)"),
    ("learning_rate", "0.1", r"learning_rate must be a positive number, got '0.1' \(a str\)"),
    ("l2", False, r"l2 must be a number >= 0, got False \(a bool\)"),
    ("activation", 3, r"unknown activation 3; choose one of"),
])
def test_values_are_checked_by_type_naming_key_value_and_type(key, value, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{key: value})


def test_numpy_scalars_are_accepted_and_stored_as_python_numbers():
    # e.g. from a scikit-learn parameter grid
    cfg = TrainConfig(hidden=[np.int64(20)], epochs=np.int64(3), learning_rate=np.float32(0.5),
                      augment=np.bool_(False), warmup_epochs=1)
    assert cfg.hidden == (20,) and type(cfg.hidden[0]) is int
    assert type(cfg.epochs) is int and type(cfg.learning_rate) is float
    assert cfg.augment is False and cfg.warmup_epochs == 1.0 and type(cfg.warmup_epochs) is float
    import json

    json.dumps(cfg.to_dict())  # plain JSON types only


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_weight_decay_without_adamw_is_refused(optimizer):
    # It used to be silently ignored while the model file recorded it.
    with pytest.raises(ValueError, match=f"weight_decay 0.05 needs optimizer 'adamw' .*not "
                                         f"'{optimizer}'; with {optimizer} use l2"):
        TrainConfig(optimizer=optimizer, weight_decay=0.05)
    assert TrainConfig(optimizer="adamw", weight_decay=0.05).weight_decay == 0.05


def test_patience_needs_validation():
    with pytest.raises(ValueError, match="patience .* needs a validation split"):
        TrainConfig(patience=3)


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown config key 'lr'; valid keys: hidden, activation"):
        TrainConfig.from_dict({"lr": 0.1})


def test_a_config_survives_its_dict():
    cfg = TrainConfig(hidden=(32, 16), optimizer="adamw", weight_decay=0.01, augment=True)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "c.toml: no such config file"),
    (lambda p: p.mkdir(), "c.toml: is a directory, not a config file"),
    (lambda p: p.write_text("hidden = [\n"), "c.toml: not valid TOML (Invalid value"),
    (lambda p: p.write_bytes(b"description = '\xff'\n"), "c.toml: not valid TOML"),
])
def test_read_toml_fails_in_one_line_naming_the_file(tmp_path, make, message):
    from steepest.config import read_toml

    path = tmp_path / "c.toml"
    make(path)
    with pytest.raises(ValueError) as info:
        read_toml(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_read_toml_reads_toml(tmp_path):
    from steepest.config import read_toml

    path = tmp_path / "c.toml"
    path.write_text('hidden = [15]\naugment = true\n[search]\nlr = { low = 1 }\n')
    assert read_toml(path) == {"hidden": [15], "augment": True, "search": {"lr": {"low": 1}}}


@pytest.mark.parametrize(("content", "words"), [
    (b"\xef\xbb\xbfhidden = [15]\n", None),  # a UTF-8 byte-order mark: read as if absent
    (b"x = " + b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b"a" + b".a" * 2_000 + b" = 1", "more than 32 parts"),
    (b"x = " + b"9" * 5_000, "not valid TOML"),
    (b"# " + b"x" * (300 * 1024), "too large for a config file"),
], ids=["byte-order mark", "deep nesting", "long dotted key", "5,000-digit int", "300 KB"])
def test_read_toml_is_bounded_and_says_what_is_wrong_in_one_line(tmp_path, content, words):
    path = tmp_path / "run.toml"
    path.write_bytes(content)
    if words is None:
        assert read_toml(path) == {"hidden": [15]}
        return
    with pytest.raises(ValueError, match=words) as info:
        read_toml(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_a_huge_int_is_a_number_checked_by_range_not_a_type_error():
    assert is_number(2**70) and not is_number(float("inf")) and not is_number(True)
    assert TrainConfig(learning_rate=2**70).learning_rate == 2**70  # huge, but a number
    with pytest.raises(ConfigError, match="batch_size must be a positive"):
        TrainConfig(batch_size=-(2**70))
