"""What ``POST /api/train`` may ask for: its fields, their types and the limits on its size.

The lab trains whatever a request describes, in a process of its own.  Without
limits one request -- ``hidden: [100000, 100000]``, ``batch_size: 60000`` --
would ask that process for tens of gigabytes and take the machine down with
it.  So each dimension of the work has a bound, and the network as a whole
has one more (:data:`MAX_PARAMETERS`), because four layers of 1,000 units
each are small one by one and 3.8 million parameters together.

The bounds leave room for every rung of ``steepest ladder`` (two hidden
layers of 800 units, mini-batches of 128).  A refusal is a 400 that names
the field, its limit and what was asked.
"""

from __future__ import annotations

from ..activations import HIDDEN_ACTIVATIONS
from ..network import INITS
from ..optimizers import OPTIMIZERS
from ..schedules import SCHEDULES
from ..training import TrainConfig
from . import validate as v
from .pace import MAX_RATE, MIN_RATE
from .trainer import JobSpec

#: Fields ``POST /api/train`` accepts; anything else is refused.
TRAIN_FIELDS = ("hidden", "activation", "init", "learning_rate", "batch_size", "epochs",
                "seed", "optimizer", "schedule", "l2", "dropout", "train_limit", "pace",
                "paused")

#: Passes over the training images one job may make.
MAX_EPOCHS = 100
#: Hidden layers.
MAX_LAYERS = 4
#: Units in one hidden layer.
MAX_LAYER_UNITS = 1000
#: Images per gradient step (the activations held per layer grow with it).
MAX_BATCH_SIZE = 1000
#: Weights and biases of the whole network: 784-1000-1000-10 has 1,796,010.
MAX_PARAMETERS = 2_000_000

N_INPUTS, N_CLASSES = 784, 10  # the lab trains on MNIST


def parameter_count(hidden: tuple[int, ...]) -> int:
    """Weights and biases of the network ``784 -> hidden... -> 10``.

    >>> parameter_count((15,))  # the lecture's network
    11935
    """
    sizes = (N_INPUTS, *hidden, N_CLASSES)
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def spec_from_json(body: dict, max_units: int) -> JobSpec:
    """Check a ``POST /api/train`` body; missing fields take :class:`TrainConfig`'s defaults.

    Parameters
    ----------
    body : dict
        the request's JSON object.
    max_units : int
        hidden units per layer the job's events show as weight images.

    Returns
    -------
    JobSpec
        the checked job.

    Raises
    ------
    ApiError
        a field is unknown, of the wrong type or out of its range, or the network is
        larger than :data:`MAX_PARAMETERS`.
    """
    v.reject_unknown(body, TRAIN_FIELDS)
    d = TrainConfig()
    hidden = v.int_list(body.get("hidden", list(d.hidden)), "hidden", 1, MAX_LAYER_UNITS,
                        max_len=MAX_LAYERS)
    parameters = parameter_count(hidden)
    if parameters > MAX_PARAMETERS:
        raise v.ApiError(
            f"hidden {list(hidden)} makes a network of {parameters:,} parameters; "
            f"the lab trains at most {MAX_PARAMETERS:,} (e.g. hidden [1000, 1000])"
        )
    config = TrainConfig(
        hidden=hidden,
        activation=v.choice(body.get("activation", d.activation), "activation",
                            HIDDEN_ACTIVATIONS),
        init=v.choice(body.get("init", d.init), "init", tuple(INITS)),
        learning_rate=v.number(body.get("learning_rate", d.learning_rate), "learning_rate",
                               0, 100, lo_open=True),
        batch_size=v.integer(body.get("batch_size", d.batch_size), "batch_size", 1,
                             MAX_BATCH_SIZE),
        epochs=v.integer(body.get("epochs", d.epochs), "epochs", 1, MAX_EPOCHS),
        seed=v.integer(body.get("seed", d.seed), "seed", 0, 2**32 - 1),
        optimizer=v.choice(body.get("optimizer", d.optimizer), "optimizer", tuple(OPTIMIZERS)),
        schedule=v.choice(body.get("schedule", d.schedule), "schedule", SCHEDULES),
        l2=v.number(body.get("l2", d.l2), "l2", 0, 1),
        dropout=v.number(body.get("dropout", d.dropout), "dropout", 0, 0.9),
    )
    limit = body.get("train_limit")
    train_limit = None if limit is None else v.integer(limit, "train_limit", 10, 60000)
    return JobSpec(config, train_limit, max_units, pace=rate(body.get("pace")),
                   paused=v.boolean(body.get("paused", False), "paused"))


def rate(value) -> float | None:
    """``pace``: mini-batches per second, or null for full speed (see :mod:`.pace`).

    >>> rate(None), rate(50)
    (None, 50.0)
    """
    return None if value is None else v.number(value, "pace", MIN_RATE, MAX_RATE)
