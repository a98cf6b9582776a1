"""A learning-rate slider over the descent figure, for notebooks."""

from __future__ import annotations

import io

from .figure import STYLE
from .lecture import descent_figure


def _png(surface: str, learning_rate: float, steps: int) -> bytes:
    import matplotlib

    fig = descent_figure(surface, learning_rates=[learning_rate], steps=steps)
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format="png", dpi=72)
    return buffer.getvalue()


def descent_explorer(surface: str = "valley", learning_rate: float = 0.2, steps: int = 30,
                     max_learning_rate: float = 0.6):
    """Sliders for λ and the number of steps over :func:`descent_figure`, redrawn on release.

    With ipywidgets (the ``notebooks`` extra) this returns a widget for Jupyter
    to show; without, the figure for ``learning_rate`` and ``steps`` alone.

    Parameters
    ----------
    surface : str
        a name from :data:`steepest.descent.SURFACES`.
    learning_rate : float
        λ at the start.
    steps : int
        gradient steps per path at the start.
    max_learning_rate : float
        the λ slider's right end.

    Examples
    --------
    >>> fig = descent_explorer("bowl", 0.1, 5)  # a widget, or a Figure without ipywidgets
    """
    try:
        import ipywidgets
    except ImportError:
        return descent_figure(surface, learning_rates=[learning_rate], steps=steps)
    rate = ipywidgets.FloatSlider(value=learning_rate, min=0.01, max=max_learning_rate,
                                  step=0.01, description="λ", continuous_update=False)
    count = ipywidgets.IntSlider(value=steps, min=1, max=100, description="steps",
                                 continuous_update=False)
    image = ipywidgets.Image(value=_png(surface, rate.value, count.value), format="png")

    def redraw(change) -> None:
        image.value = _png(surface, rate.value, count.value)

    rate.observe(redraw, "value")
    count.observe(redraw, "value")
    return ipywidgets.VBox([ipywidgets.HBox([rate, count]), image])
