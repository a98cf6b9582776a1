"""The lab's routes, by area: one Flask blueprint per module, each a page long.

==========================  ===========================================================
module                      routes
==========================  ===========================================================
this one                    ``GET /``: the page
:mod:`.model`               the model in service, its file, its weights; the models
                            served before (``/api/model...``, ``/api/network``,
                            ``/api/models...``)
:mod:`.predict`             ``POST /api/predict``: a drawing through the network
:mod:`.inside`              ``POST /api/inside``: one input, layer by layer, for the
                            Inside tab
:mod:`.digits`              MNIST test digits and the model's mistakes
:mod:`.train`               training jobs: start, follow (server-sent events), cancel
:mod:`.descent`             gradient descent on the example cost surfaces
:mod:`.perceptron`          the perceptron's "go to the game?" table
==========================  ===========================================================

Every route finds the lab with :func:`~steepest.web.lab.current`, reads its request
with the readers there, and checks every value with :mod:`steepest.web.validate`;
:mod:`steepest.web.guard` has already checked who is asking.
"""

from __future__ import annotations

from flask import Blueprint, send_from_directory

from ..lab import STATIC
from . import descent, digits, inside, model, perceptron, predict, train

page = Blueprint("page", __name__)


@page.get("/")
def index():
    """The page."""
    return send_from_directory(STATIC, "index.html")


#: Every blueprint, as :func:`~steepest.web.app.create_app` registers them.
BLUEPRINTS = (page, model.bp, predict.bp, inside.bp, digits.bp, train.bp, descent.bp,
              perceptron.bp)
