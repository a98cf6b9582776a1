"""Take the web lab's screenshots that the user guide shows (docs/_static/lab/*.png).

    python docs/screenshots.py

Runs what the browser tests run (tests/test_web_browser.py): the real server on a free
loopback port, serving the lecture's network after 2 epochs, and Debian's Chromium driven
by playwright; each tab is used as a person would (tests/browser_support.py's
``use_tab``), then shot at 1280x800.  The PNGs are reduced to 256 colours so that the
committed files stay small (about 50 KB each).  Run it again when the lab's page changes.
"""

from __future__ import annotations

import io
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from PIL import Image  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from browser_support import ARGS, CHROMIUM, draw, open_page, use_tab  # noqa: E402

OUT = ROOT / "docs" / "_static" / "lab"
#: The tabs the guide shows, in its order.
SHOWN = ["draw", "inside", "train", "descent", "perceptron", "mistakes"]


def small_png(png: bytes) -> bytes:
    """The screenshot in 256 colours (what a page of flat colours and text needs)."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    from click.testing import CliRunner

    from steepest.cli import main as cli
    from steepest.web.app import create_app
    from steepest.web.server import make_server

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "lecture.npz"
        result = CliRunner().invoke(cli, ["train", "--epochs", "2", "--validation", "10000",
                                          "-o", str(model)])
        assert result.exit_code == 0, result.output
        app = create_app(model, work_dir=Path(tmp) / "jobs")
        server = make_server(app, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        OUT.mkdir(parents=True, exist_ok=True)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                with open_page(browser, f"http://127.0.0.1:{server.port}/") as (page, _):
                    expect(page.locator("#model-status")).to_contain_text("Model v")
                    for name in SHOWN:
                        use_tab(page, name)
                        if name == "draw":  # a 7 drawn with the mouse, as a visitor would
                            page.click("#clear")
                            draw(page, [(70, 60), (210, 60), (120, 240)])
                            page.wait_for_function(
                                "document.getElementById('digit').textContent !== '?'")
                            page.wait_for_timeout(300)
                        if name == "inside":  # the units and the outputs' bars, not the intro
                            page.evaluate("""scrollTo(0, document.querySelector(
                                '#diagram .layer[data-layer="0"]').offsetTop - 8)""")
                        path = OUT / f"{name}.png"
                        path.write_bytes(small_png(page.screenshot()))
                        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
            app.extensions["steepest_lab"].close()


if __name__ == "__main__":
    main()
