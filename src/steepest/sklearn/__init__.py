"""steepest as a scikit-learn classifier: ``Pipeline``, ``GridSearchCV``, ``cross_val_score``.

:class:`SteepestClassifier` trains the network a :class:`~steepest.config.TrainConfig`
describes, through :func:`steepest.training.run`, on any feature matrix ``X``
(N, n_features) and any labels ``y`` (ints, strings, ...).  Its hyperparameters
are ``TrainConfig``'s fields, with the same names and defaults, except two that
scikit-learn spells its own way:

* ``seed`` -> ``random_state`` (an int, a ``numpy.random.Generator`` or None);
* ``validation`` (a row count) -> ``early_stopping`` and ``validation_fraction``,
  as in ``MLPClassifier``: a shuffled split, stratified when every class can
  give rows to both sides, is moved to the end of the data so that ``run()``
  holds it out.

``X`` is used as given: scale it yourself (MNIST pixels ``/ 255``, or a
``StandardScaler`` in a ``Pipeline``); ``fit`` warns (:class:`BadlyScaledWarning`)
when features lie far from a few units, where the lecture's defaults saturate.
The network computes in float32: a C-ordered float32 or float64 ``X`` is not
copied (each mini-batch is cast as it is used), a column-major one (a
DataFrame's values) is copied once into C-ordered float32 rows, and values
beyond float32's range are refused.

A ``fit`` or ``partial_fit`` that raises leaves the estimator as it was: it
trains a copy and replaces the fitted attributes only at the end.  Prediction
writes nothing to the estimator (:meth:`steepest.network.Network.infer`), so
one fitted estimator can serve many threads.

The estimator pickles like any scikit-learn estimator (``GridSearchCV(n_jobs=2)``
sends it to other processes that way), but steepest never reads a pickle:
:meth:`~SteepestClassifier.save` and :meth:`~SteepestClassifier.load` use
steepest's ``.npz`` model file (:mod:`steepest.modelfile`).

scikit-learn is an optional dependency, the ``sklearn`` extra (in a checkout:
``python -m pip install -e ".[sklearn]"``).

>>> from sklearn.datasets import load_iris
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> X, y = load_iris(return_X_y=True)
>>> clf = make_pipeline(StandardScaler(), SteepestClassifier(hidden=(8,), random_state=0))
>>> float(clf.fit(X, y).score(X, y)) > 0.9
True
"""

from .estimator import SteepestClassifier
from .fitting import CONFIG_PARAMS
from .inputs import BadlyScaledWarning

__all__ = ["CONFIG_PARAMS", "BadlyScaledWarning", "SteepestClassifier"]
