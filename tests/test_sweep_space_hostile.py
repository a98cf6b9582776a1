"""Hostile space files: one line naming the file and the key, in bounded time and memory.

Nothing here times anything.  Memory is bounded with tracemalloc (peak Python
allocation while reading a space); time is bounded by counting the
TrainConfig checks a space costs, with a budget that stops a quadratic check
long before it would finish.
"""

from __future__ import annotations

import codecs
import dataclasses
import itertools
import tracemalloc

import pytest

from steepest.config import _CHOICES, TrainConfig
from steepest.sweep import checks, space
from steepest.sweep.space import SpaceError, parse_space, read_space

BIG = 2**70  # past 2**64: no Dask message carries it


def write(tmp_path, text: str | bytes, name: str = "space.toml"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def nested(opening: str, closing: str, depth: int, inner: str = "") -> str:
    return opening * depth + inner + closing * depth


def numbers(n: int, start: float, step: float) -> str:
    return "[" + ", ".join(repr(start + i * step) for i in range(n)) + "]"


# (space file, key the message names, words in the message)
HOSTILE = {
    # 1,000 levels sit at Python's recursion limit: the TOML parser gives up ("nested too
    # deeply"), or it parses and the depth check refuses ("nested more than 16 levels
    # deep"), depending on how deep the caller's stack already is. Both are one line.
    "nested lists 1,000 deep": ("[search]\nhidden = " + nested("[", "]", 1000), "nested",
                                "deep"),
    "nested inline tables 1,000 deep": ("[search]\nx = " + nested("{a = ", "}", 1000, "1"),
                                        "nested", "deep"),
    "nested lists 20 deep": ("[search]\nhidden = " + nested("[", "]", 20, "1"),
                             "search.hidden[0]", "nested more than 16 levels"),
    "dotted keys 2,000 deep": ("a" + ".a" * 2000 + " = 1\n[search]\nbatch_size = [1]",
                               "dotted key", "(2,001)"),
    "a table name 30,000 parts deep": ("[a" + ".a" * 30_000 + "]\n[search]\nbatch_size = [1]",
                                       "dotted key", "more than 32 parts"),
    "dotted keys 20 deep": ("a" + ".a" * 19 + " = 1\n[search]\nbatch_size = [1]",
                            "a.a.a", "nested more than 16 levels"),
    "a list of 20,000 values": ("[search]\nlearning_rate = " + numbers(20_000, 0.5, 1e-5),
                                "search.learning_rate", "20,000 values"),
    "seed range past 2**64": (f"[search]\nseed = {{ low = 0, high = {BIG} }}",
                              "search.seed.high", "exact only up to 2**53"),
    "seed list past 2**64": (f"[search]\nseed = [0, {BIG}]", "search.seed[1]",
                             "exact only up to 2**53"),
    "seed range past 2**53": (f"[search]\nseed = {{ low = 0, high = {2**53 + 1} }}",
                              "search.seed.high", "exact only up to 2**53"),
    "fixed seed past 2**64": (f"seed = {BIG}\n[search]\nbatch_size = [1]", "seed",
                              "64-bit ints"),
    "fixed float key as a huge int": (f"learning_rate = {BIG}\n[search]\nbatch_size = [1]",
                                      "learning_rate", "64-bit ints"),
    "range low as a huge int": (f"[search]\nlearning_rate = {{ low = 1, high = {BIG} }}",
                                "search.learning_rate.high", "too large"),
    "an int of 5,000 digits": ("seed = " + "9" * 5000 + "\n[search]\nbatch_size = [1]",
                               "not valid TOML", "digits"),
    "grid over 9e15 ints": ("sampler = 'grid'\n[search]\nseed = { low = 0, high = "
                            "9000000000000000, step = 1 }", "search.seed",
                            "9,000,000,000,000,001 values"),
    "grid over 1e9 floats": ("sampler = 'grid'\n[search]\nlearning_rate = { low = 0.001, "
                             "high = 1e6, step = 0.001 }", "search.learning_rate",
                             "1,000,000,000 values"),
    "grid int range without a step, 1e15 values": (
        "sampler = 'grid'\n[search]\nseed = { low = 0, high = 1000000000000000 }",
        "search.seed", "1,000,000,000,000,001 values"),
    "grid of 3,000 x 3,000": ("sampler = 'grid'\n[search]\nlearning_rate = "
                              + numbers(3000, 0.001, 0.001) + "\nl2 = "
                              + numbers(3000, 0.0, 0.0001),
                              "search.learning_rate, search.l2", "9,000,000 trials"),
    "a step too small to count": ("[search]\nlearning_rate = { low = 1e-300, high = 1e300, "
                                  "step = 1e-300 }", "search.learning_rate", "too small"),
    "a range wider than a float": ("[search]\nweight_decay = { low = 0.0, high = 1.7e308, "
                                   "step = 1e-308 }", "search.weight_decay", "too small"),
    "a value twice in 3,000": ("[search]\nbatch_size = ["
                               + ", ".join(str(i) for i in range(1, 3001)) + ", 7]",
                               "search.batch_size", "the value 7 appears twice"),
    "a UTF-16 file": ("[search]\nbatch_size = [1]".encode("utf-16"), "not valid TOML",
                      "not UTF-8"),
    "binary bytes": (bytes(range(256)) * 4, "not valid TOML", "UTF-8"),
    "more than 256 KB": ("# " + "x" * (1 << 20) + "\n[search]\nbatch_size = [1]",
                         "more than 256 KB", "too large for a space file"),
    "a 100,000-character value": ("activation = '" + "x" * 100_000 + "'\n[search]\n"
                                  "batch_size = [1]", "unknown activation", "..."),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_space_is_one_line_naming_the_file_and_key_in_bounded_memory(tmp_path, case):
    text, key, words = HOSTILE[case]
    path = write(tmp_path, text)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with pytest.raises(SpaceError) as err:
            read_space(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(err.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert key in message and words in message, message
    assert len(message) <= space.MESSAGE_LIMIT + len(str(path))
    # the parsed file, a few times over, plus a fixed allowance: no value list is built
    assert peak < 40 * size + 4_000_000, f"{peak:,} bytes for a {size:,}-byte file"


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = write(tmp_path, codecs.BOM_UTF8 + b"epochs = 2\n[search]\nbatch_size = [10, 20]\n")
    space_ = read_space(path)
    assert space_.fixed["epochs"] == 2 and space_.params[0].choices == (10, 20)


def test_a_grid_over_an_int_range_without_step_steps_by_one(tmp_path):
    path = write(tmp_path, "sampler = 'grid'\n[search]\nepochs = { low = 1, high = 5 }\n")
    grid = read_space(path)
    assert grid.grid() == {"epochs": [1, 2, 3, 4, 5]} and grid.grid_size() == 5
    assert grid.distributions()["epochs"].step == 1


def test_the_grid_size_is_counted_without_listing_the_values():
    grid = parse_space({"sampler": "grid", "search": {
        "seed": {"low": 0, "high": 4_999}, "dropout": {"low": 0.0, "high": 0.5, "step": 0.5}}})
    tracemalloc.start()
    try:
        size = grid.grid_size()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size == 5_000 * 2
    assert peak < 10_000  # a list of 5,000 ints alone takes 40,000 bytes and more


def test_the_largest_grid_allowed_is_refused_one_value_past_it():
    def grid(n):
        return {"sampler": "grid", "search": {"seed": {"low": 1, "high": n}}}

    assert parse_space(grid(checks.MAX_GRID)).grid_size() == checks.MAX_GRID
    with pytest.raises(SpaceError, match=r"search.seed: 1..10001 step 1 is 10,001 values"):
        parse_space(grid(checks.MAX_GRID + 1))


class Budget(Exception):
    pass


def count_configs(monkeypatch, budget: int) -> list[int]:
    """Count the TrainConfigs a space check builds; raise Budget past ``budget``."""
    calls = [0]

    class Counted(TrainConfig):
        def __post_init__(self):
            calls[0] += 1
            if calls[0] > budget:
                raise Budget(f"more than {budget:,} TrainConfig checks")
            super().__post_init__()

    monkeypatch.setattr(space, "TrainConfig", Counted)
    return calls


def test_checking_a_space_is_linear_in_its_values(tmp_path, monkeypatch):
    # Two lists of 3,000 values: 9,000,000 pairs took 150 s when every pair was checked.
    path = write(tmp_path, "[search]\nlearning_rate = " + numbers(3000, 0.001, 0.001)
                 + "\nl2 = " + numbers(3000, 0.0, 0.0001) + "\nbatch_size = "
                 + str(list(range(1, 3001))))
    calls = count_configs(monkeypatch, budget=100_000)
    parsed = read_space(path)
    assert [len(p.choices) for p in parsed.params] == [3000, 3000, 3000]
    assert calls[0] <= 2 * 9000 + 100  # each value once, plus the pairs of kinds


def test_a_pair_that_fails_is_still_found_among_thousands_of_values(monkeypatch):
    count_configs(monkeypatch, budget=100_000)
    decays = [i * 1e-4 for i in range(3000)]  # 0.0 first: the first values make a valid trial
    with pytest.raises(SpaceError, match=r"search.optimizer = 'adam' with search.weight_decay "
                                         r"= 0.0001: weight_decay 0.0001 needs optimizer"):
        parse_space({"search": {"optimizer": ["adam", "adamw"], "weight_decay": decays,
                                "learning_rate": [0.01 * (i + 1) for i in range(3000)]}})


def test_a_value_that_another_searched_key_makes_valid_is_accepted():
    # weight_decay needs adamw: searched, so every trial has it; batch_size is unrelated.
    accepted = parse_space({"search": {"weight_decay": [0.1], "optimizer": ["adamw"],
                                       "batch_size": [10, 20]}})
    assert accepted.config({"weight_decay": 0.1, "optimizer": "adamw",
                            "batch_size": 10}).weight_decay == 0.1


# Values of every TrainConfig key: each kind of number (0, between 0 and 1, 1, above 1, as
# int and float), every choice of the string keys, both booleans, a few layer lists.
_STRINGS = {name: list(choices) for name, choices in _CHOICES.items()}
_PROBES = {
    "bool": [True, False],
    "int": [0, 1, 2, 3, 10, 100],
    "float": [0.0, 0.001, 0.25, 0.5, 0.999, 1.0, 1.5, 10.0, 1000.0],
    "tuple[int, ...]": [(), (1,), (15,), (100, 100)],
}


def probes(name: str, kind: str) -> list:
    return _STRINGS.get(name) or _PROBES[kind]


def test_train_configs_rules_between_keys_see_only_the_kinds_the_space_check_assumes():
    """checks.kind: valid values of the same kind pass or fail together with any other value.

    If TrainConfig gains a rule that tells apart values the space check counts
    as alike (say ``dropout > 0.5`` needs ``hidden``), this fails, and
    checks.kind must learn the new distinction.
    """
    fields = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
    fixed = {"validation": 100}  # so patience's rule can pass

    def valid(values: dict) -> bool:
        try:
            TrainConfig(**{**fixed, **values})
        except ValueError:
            return False
        return True

    alone = {name: [v for v in probes(name, kind) if valid({name: v})]
             for name, kind in fields.items() if name != "validation"}
    for a, b in itertools.combinations(alone, 2):
        verdicts: dict = {}
        for va, vb in itertools.product(alone[a], alone[b]):
            key = (checks.kind(va), checks.kind(vb))
            verdict = valid({a: va, b: vb})
            assert verdicts.setdefault(key, verdict) == verdict, (a, va, b, vb)
