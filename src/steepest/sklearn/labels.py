"""Class labels in a model file's JSON info, and back, with their NumPy dtype.

scikit-learn classifiers take labels of any kind; steepest's model file keeps
them as JSON (it never reads a pickle).  JSON holds ints, floats, booleans and
strings exactly, so those round-trip -- values and dtype -- and anything else
(dates, tuples, mixed objects) is refused when saving, with the reason.

>>> doc = labels_to_json(np.array(["cat", "dog"]))
>>> doc
{'dtype': '<U3', 'values': ['cat', 'dog']}
>>> labels_from_json(doc)
array(['cat', 'dog'], dtype='<U3')
>>> labels_to_json(np.array([None, "dog"], dtype=object))
Traceback (most recent call last):
...
ValueError: cannot save class labels like None (a NoneType) in a model file: ...
"""

from __future__ import annotations

import numpy as np

#: NumPy dtype kinds whose values JSON holds exactly: bool, int, uint, float, str.
_KINDS = {"b": bool, "i": int, "u": int, "f": float, "U": str}
_PYTHON_TYPES = (bool, int, float, str)


def labels_to_json(classes: np.ndarray) -> dict:
    """``{"dtype": ..., "values": [...]}`` for a 1-D array of labels; ValueError if JSON cannot.

    Parameters
    ----------
    classes : numpy.ndarray
        The labels, 1-D: bools, ints, floats or strings, or Python objects of
        one of those types.

    Returns
    -------
    dict
        ``dtype`` (NumPy's string for it, or ``"object"``) and ``values``, a
        list of JSON values.

    Raises
    ------
    ValueError
        A label JSON cannot hold exactly (None, a date, a tuple, NaN), or
        objects of several types.

    Examples
    --------
    >>> labels_to_json(np.array([3, 1], dtype=np.int8))
    {'dtype': '|i1', 'values': [3, 1]}
    """
    classes = np.asarray(classes)
    if classes.dtype.kind == "O":  # e.g. a pandas column of Python strings
        bad = next((c for c in classes if type(c) not in _PYTHON_TYPES or not _finite(c)), None)
        if bad is not None:
            _refuse(bad)
        if len({type(c) for c in classes}) > 1:
            _refuse(classes[0], "labels of one type")
        return {"dtype": "object", "values": list(classes)}
    if classes.dtype.kind not in _KINDS:
        _refuse(classes[0])
    values = [_KINDS[classes.dtype.kind](c) for c in classes]
    if not all(_finite(c) for c in values):
        _refuse(next(c for c in values if not _finite(c)))
    return {"dtype": classes.dtype.str, "values": values}


def labels_from_json(doc: dict) -> np.ndarray:
    """The labels :func:`labels_to_json` wrote; ValueError for a document it did not write.

    Parameters
    ----------
    doc : dict
        ``{"dtype": ..., "values": [...]}`` from a model file's JSON.

    Returns
    -------
    numpy.ndarray
        The labels, of the dtype they were saved with.

    Raises
    ------
    ValueError
        A document :func:`labels_to_json` would not have written.

    Examples
    --------
    >>> labels_from_json({"dtype": "|i1", "values": [3, 1]})
    array([3, 1], dtype=int8)
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("values"), list):
        raise ValueError("class labels must be a {'dtype', 'values'} object")
    values, dtype = doc["values"], doc.get("dtype")
    if any(type(v) not in _PYTHON_TYPES for v in values):
        raise ValueError("class labels must be JSON ints, floats, booleans or strings")
    if dtype == "object":
        labels = np.empty(len(values), dtype=object)
        labels[:] = values
        return labels
    if not isinstance(dtype, str) or np.dtype(dtype).kind not in _KINDS:
        raise ValueError(f"class labels of dtype {dtype!r} cannot come from JSON")
    return np.array(values, dtype=np.dtype(dtype))


def _finite(value) -> bool:
    return not isinstance(value, float) or bool(np.isfinite(value))


def _refuse(label, why: str = "") -> None:
    raise ValueError(f"cannot save class labels like {label!r} (a {type(label).__name__}) in a "
                     "model file: its JSON holds ints, floats, booleans and strings"
                     + (f" ({why})" if why else ""))
