"""The web lab: a local page where you draw a digit and watch the network think and learn.

``steepest serve [MODEL]`` starts it.  The pieces, one job each:

* :mod:`.validate` -- turns untrusted JSON into checked Python values, or a
  clear :class:`~.validate.ApiError` (always a 4xx, never a crash);
* :mod:`.views` -- a network's numbers (weight images, activations) as JSON;
* :mod:`.served` -- the model the page talks to, swapped safely between requests;
* :mod:`.trainer` -- the training run, in its own process so serving stays fast;
* :mod:`.jobs` -- starts, watches and cancels that process; streams its events;
* :mod:`.train_request` -- what a training request may ask for, and its limits;
* :mod:`.guard` -- only the lab's own page, at the lab's own address, gets in;
* :mod:`.lab` -- what every route shares: the lab, reading a request;
* :mod:`.routes` -- the JSON API, one blueprint per area (model, predict, digits,
  training jobs, descent, perceptron);
* :mod:`.app` -- the Flask app: the guard, the error handlers, the routes;
* :mod:`.server` -- the threaded server.

The page itself (``static/``) is plain HTML, CSS and JavaScript with no build
step and nothing fetched from the internet.  It only presents: every number
it shows -- preprocessing included -- is computed by the library on the server.

Importing this package does not import Flask; :mod:`.app` does.
"""
