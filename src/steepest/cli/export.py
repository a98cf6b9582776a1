"""``steepest export``: a model file as ONNX, for onnxruntime and other runtimes."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .app import UserError, install_hint, main, writable_file


@main.command()
@click.argument("model", type=click.Path())
@click.option("--output", "-o", type=click.Path(), default=None,
              help="The ONNX file to write.  [default: MODEL with the suffix .onnx]")
def export(model: str, output: str | None) -> None:
    """Write MODEL (a .npz from `steepest train` or SteepestClassifier.save) as ONNX.

    The ONNX graph takes float32 input x of shape (N, n_in) -- for MNIST the
    784 pixels / 255, for a scikit-learn model the features as given to fit --
    and gives class probabilities (N, K); N is any batch size.  Its metadata
    record the training config, the data checksums and steepest's version.
    Needs the onnx package, from steepest's onnx extra (which brings
    onnxruntime too, to run the file): in the steepest checkout,
    python -m pip install -e ".[onnx]".
    """
    try:
        from ..onnx import OPSET, input_description, save_onnx
    except ImportError as exc:  # onnx is an extra: say how to add it, in one line
        raise UserError(f"steepest export needs the onnx package ({exc}); "
                        f"{install_hint('onnx')}") from None
    from ..modelfile import load_model

    net, info = load_model(model)
    target = Path(output) if output is not None else Path(model).with_suffix(".onnx")
    if target.exists() and os.path.samefile(target, model):
        raise ValueError(f"{target} is the model file itself; choose another --output")
    save_onnx(writable_file(target), net, info)
    click.echo(f"wrote {target}: {net.describe()}, ONNX opset {OPSET}")
    click.echo(f"  input  x: float32 (N, {net.sizes[0]}): {input_description(net, info)}")
    click.echo(f"  output probabilities: float32 (N, {net.sizes[-1]})")
