"""The course notebooks: stored clean, in the lecture's order, and each runs top to bottom.

Every notebook is executed by a real Jupyter kernel (nbclient + ipykernel) running this very
interpreter, twice: as a learner first opens it (every "Your turn" cell still raises
NotImplementedError: each check says "not written yet" and the notebook still reaches its
end), and with each "Your turn" cell (tagged ``exercise``) replaced by an import of the
reference solution from :mod:`steepest.exercises.solutions` (every check passes; the capstone
reaches 90 %).  Later notebooks read earlier ones' exercise cells (``yours()``), so each run
happens in a folder holding the whole course in that state.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

import steepest
from steepest.exercises import EXERCISES

nbformat = pytest.importorskip("nbformat")  # the test extra brings it; under CI=true a skip fails

NOTEBOOK_DIR = Path(steepest.__file__).resolve().parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]

#: The lecture's order: perceptron, activations, MNIST and one-hot, the network, the loss,
#: gradient descent, backpropagation, training, and the learner's own digit.
EXPECTED_NAMES = ["01-perceptron", "02-activations", "03-mnist", "04-network", "05-loss",
                  "06-gradient-descent", "07-backprop", "08-training", "09-your-digit"]

#: Numbers and results each notebook must print with the exercises solved (regular expressions).
EXPECTED_OUTPUT = {
    "01-perceptron": [r"w·x for the eight situations: \[10, 1, 7, 4, 9, 0, 3, 6\]",
                      r"t = 9: goes in 2 of 8", r"t = 7: goes in 3 of 8",
                      r"decide\(w, x, t\) gives the same: True",
                      r"x = \(0, 1, 1\) at t = 9: w·x \+ b = 0\.0 -> H = 1\.0",
                      r"XOR: converged=False", r"XOR:\s+0 of 4913 perceptrons",
                      r"your loop: w = \[2\.0, 1\.0\], b = -3;  learn: w = \[2\.0, 1\.0\], b = -3"],
    "02-activations": [r"exp\(1000\) = inf", r"textbook softmax of \(1000, 999, 998\): \[\[nan",
                       r"largest \|central difference - sigmoid_prime\(z\)\|: \d\.\d+e-1\d",
                       r"softmax of \(1000, 999, 998\): \[\[0\.6652 0\.2447 0\.09",
                       r"each row sums to \[1\.0, 1\.0, 1\.0\]"],
    "03-mnist": [r"x_train\s+shape \(60000, 28, 28\)\s+dtype uint8",
                 r"60,000 \+ 10,000 = 70,000 handwritten digits",
                 r"\(60000,\) -> \(60000, 10\) float32", r"each row sums to 1: True"],
    "04-network": [r"layer 1: 11,760 \+ 15 = 11,775", r"layer 2: 150 \+ 10 = 160",
                   r"total: 11,935"],
    "05-loss": [r"your nll: (\d\.\d+)   steepest's NLL.value: \1   -y·log o: \1",
                r"from the logits: 800\.0"],
    "06-gradient-descent": [r"steepest direction found: \[ 0\.1236 -0\.9923\], slope -8\.0623",
                            r"largest difference from steepest's path: 0\.0e\+00",
                            r"lambda = 0.55 : v2 is multiplied by -1.20",
                            r"lambda = 0\.001  C before .* ratio 0\.99\d\d",
                            r"parameters moved: 11935"],
    "07-backprop": [r"central differences: \[ 0\.2054 .*\n.*\no - onehot\(y\):\s+\[ 0\.2054",
                    r"dL/dW2: shape \(15, 10\) largest difference from central differences "
                    r"\d\.\de-1\d",
                    r"dL/dW1: shape \(784, 15\) largest difference from central differences "
                    r"\d\.\de-1\d",
                    r"W1: shape \(784, 15\) .* ok", r"b2: shape \(10,\) .* ok"],
    "08-training": [r"your network: 9\d\.\d\d% test accuracy after \d+ epochs",
                    r"new b2 +\(10,\) +True +True",
                    r"steepest: test accuracy 9\d\.\d\d% after 10 epochs",
                    r"rung 2: validation 9\d\.\d\d% .* test 9\d\.\d\d%"],
    "09-your-digit": [r"largest difference from steepest.preprocess.to_mnist: 0.0",
                      r"outside the field, cut off: [1-9]\d* of its 20 rows",
                      r"test accuracy 9\d\.\d\d%"],
}

#: Code that must not appear above an exercise in its notebook: the exercise's answer,
#: or steepest's function that computes it (shown after the exercise, to compare).
ANSWER_ABOVE = {
    "decide": [">= t", ">= threshold", ".predict("],
    "rosenblatt_update": ["learn("],
    "sigmoid": ["sigmoid("],
    "sigmoid_prime": [".sigmoid_prime", " sigmoid_prime", "DERIVATIVES"],
    "softmax": ["softmax("],
    "one_hot": ["one_hot(", "to_categorical(", "np.eye("],
    "init_network": ["standard_normal(", "Network("],
    "count_parameters": ["num_parameters", ".size"],
    "forward": [".forward(", "@ W1"],
    "nll": ["NLL", "nll(", "np.log("],
    "valley_gradient": [".grad(", "v1 / 5"],
    "sgd_step": ["SGD(", "descend("],
    "nll_delta": ["NLL.delta", "nll(", ".backward("],
    "output_layer_grads": [".backward", "h.T @"],
    "hidden_layer_grads": [".backward", "x.T @", "h * (1 - h)"],
    "backward": [".backward(", "check_network("],
    "train_epoch": ["run(", "permutation("],
}


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _tagged(nb, kind: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for cell in nb.cells:
        name = cell.metadata.get("steepest", {}).get(kind)
        if name is not None:
            assert kind in cell.metadata.get("tags", []), cell.source
            found.setdefault(name, []).append(cell)
    return found


def test_there_are_nine_notebooks_in_the_lectures_order():
    assert IDS == EXPECTED_NAMES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_committed_notebook_is_valid_and_has_no_outputs(path):
    nb = _read(path)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {i} has outputs: clear them"
            assert cell.execution_count is None, f"{path.name}: cell {i} has an execution count"
    assert "widgets" not in nb.metadata, f"{path.name} stores widget state: clear it"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_notebook_starts_with_inline_figures(path):
    first_code = next(c for c in _read(path).cells if c.cell_type == "code")
    assert first_code.source.startswith("%matplotlib inline")


def test_every_exercise_is_asked_once_in_its_notebook_and_checked_right_after():
    for path in NOTEBOOKS:
        nb = _read(path)
        exercises, checks = _tagged(nb, "exercise"), _tagged(nb, "check")
        number = int(path.stem[:2])
        assert set(exercises) == set(checks) == {
            e.name for e in EXERCISES.values() if e.notebook == number}, path.name
        for name, (cell,) in exercises.items():
            assert cell.source.startswith(f"def {name}("), cell.source
            assert cell.source.rstrip().endswith("raise NotImplementedError")
            (check,) = checks[name]
            assert check.source == f"check_{name}({name})"
            assert nb.cells.index(check) == nb.cells.index(cell) + 1


@pytest.mark.parametrize("name", EXERCISES)
def test_no_exercise_has_its_answer_in_a_code_cell_above_it(name):
    (path,) = [p for p in NOTEBOOKS if p.stem.startswith(f"{EXERCISES[name].notebook:02d}-")]
    nb = _read(path)
    (cell,) = _tagged(nb, "exercise")[name]
    above = [c.source for c in nb.cells[:nb.cells.index(cell)] if c.cell_type == "code"]
    for source in above:
        for answer in ANSWER_ABOVE[name]:
            assert answer not in source, f"{path.name}: {answer!r} above the {name} exercise"


# ---------------------------------------------------------------------------
# Executing the notebooks


@pytest.fixture(scope="session")
def kernel_spec_manager(tmp_path_factory):
    """A kernel spec that starts ipykernel on this interpreter, whatever else is installed."""
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager

    spec = tmp_path_factory.mktemp("kernels") / "steepest-tests"
    spec.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "steepest tests", "language": "python"}))
    return KernelSpecManager(kernel_dirs=[str(spec.parent)])


def _solved(nb):
    """The notebook with each exercise cell importing the reference solution instead."""
    for name, (cell,) in _tagged(nb, "exercise").items():
        cell.source = f"from steepest.exercises.solutions import {name}"
    return nb


def _course(folder: Path, transform=None) -> Path:
    """The whole course in ``folder``, each notebook passed through ``transform``."""
    folder.mkdir(parents=True)
    for path in NOTEBOOKS:
        if transform is None:
            shutil.copy(path, folder / path.name)
        else:
            nbformat.write(transform(_read(path)), folder / path.name)
    return folder


@pytest.fixture(scope="session")
def solved_course(tmp_path_factory):
    return _course(tmp_path_factory.mktemp("course") / "solved", _solved)


@pytest.fixture(scope="session")
def untouched_course(tmp_path_factory):
    return _course(tmp_path_factory.mktemp("course") / "untouched")


def _texts(outputs) -> list[str]:
    texts = []
    for out in outputs:
        if out.output_type == "stream":
            texts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            texts.append(out.data.get("text/plain", ""))
    return texts


def _execute(nb, cwd: Path, kernel_spec_manager):
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    # First of all, prove the kernel is this interpreter with this steepest.
    probe = ("import sys, steepest\n"
             f"assert sys.executable == {sys.executable!r}, sys.executable\n"
             f"assert steepest.__file__ == {steepest.__file__!r}, steepest.__file__")
    nb.cells.insert(0, nbformat.v4.new_code_cell(probe))
    km = KernelManager(kernel_name="steepest-tests", kernel_spec_manager=kernel_spec_manager)
    # timeout: a hung cell fails the test (speed is measured in benchmarks/, not asserted here).
    NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def _stderr(nb) -> list[str]:
    return [o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == "stream" and o.name == "stderr"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_notebook_runs_top_to_bottom_with_the_exercises_solved(path, solved_course,
                                                                  kernel_spec_manager):
    nb = _execute(_read(solved_course / path.name), solved_course, kernel_spec_manager)

    for name, (check,) in _tagged(nb, "check").items():
        shown = _texts(check.outputs)
        assert len(shown) == 1 and shown[0].startswith(f"✓ {name}: "), shown
    assert _stderr(nb) == [], f"{path.name} wrote to stderr (a warning?)"
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if data.get("text/plain", "").startswith("<Figure size"):
                assert "image/png" in data, f"{path.name}: cell {i}'s figure shows as text only"
    text = "\n".join(t for c in nb.cells if c.cell_type == "code" for t in _texts(c.outputs))
    for pattern in EXPECTED_OUTPUT[path.stem]:
        assert re.search(pattern, text), f"{path.name}: no output matches {pattern!r}"
    mimes = {m for c in nb.cells if c.cell_type == "code" for o in c.outputs
             for m in o.get("data", {})}
    assert "image/png" in mimes  # every notebook draws


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_as_a_learner_opens_it_run_all_reaches_the_end_and_each_check_says_not_written_yet(
        path, untouched_course, kernel_spec_manager):
    nb = _execute(_read(untouched_course / path.name), untouched_course,
                  kernel_spec_manager)  # raises if any cell fails
    for name, (check,) in _tagged(nb, "check").items():
        (shown,) = _texts(check.outputs)
        assert shown.startswith(f"✗ {name}: ") and "not written yet" in shown, shown
    assert _stderr(nb) == [], f"{path.name} wrote to stderr (a warning?)"


def test_without_ipywidgets_the_descent_notebook_draws_a_static_figure(solved_course,
                                                                       kernel_spec_manager):
    nb = _read(solved_course / "06-gradient-descent.ipynb")
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import sys\nsys.modules['ipywidgets'] = None  # import ipywidgets now fails"))
    nb = _execute(nb, solved_course, kernel_spec_manager)
    slider = next(c for c in nb.cells if "descent_explorer(" in c.source)
    assert [sorted(o.data) for o in slider.outputs] == [["image/png", "text/plain"]]
    mimes = {m for c in nb.cells if c.cell_type == "code" for o in c.outputs
             for m in o.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" not in mimes
