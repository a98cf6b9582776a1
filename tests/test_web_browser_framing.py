"""Another site's page against the lab, in headless Chromium (issue 14).

A page on another loopback address (127.0.0.2: another site) or on another port
of the lab's own address (127.0.0.1: the same site, another origin) frames the
lab's page, ``/api/model`` and ``/api/train/events`` -- once for each event
stream the lab serves -- while a training job runs.  Before issue 14 every
frame loaded, the streams filled every slot (the lab's own page got 429) and
kept the job alive.  Now each frame is refused and shows nothing of the lab,
the lab's own page still follows the job, and the job stops once only the
foreign pages are left.  Frames the guard lets through (from the lab's own
origin) are blocked by the headers alone, their streams dropped.  A link from
another site still opens the lab.

Uses the setup of ``test_web_browser.py`` (Debian's Chromium through playwright);
without it these tests skip, or fail under ``CI=true``.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.request

import pytest

from requires import BROWSER, require

require(BROWSER, chromium=True)  # skipped without them; under CI=true, failed

from playwright.sync_api import expect  # noqa: E402

from browser_support import Console  # noqa: E402
from lab_support import lab_app, running  # noqa: E402
from steepest.web.app import MAX_STREAMS  # noqa: E402

IDLE = 3.0  # seconds a job runs with no page following it
#: A job that would run for minutes: only the idle timeout (or the test) stops it.
LONG_JOB = {"hidden": [8], "epochs": 100, "batch_size": 50}
#: Where the foreign pages live: another site, and another port of the lab's site.
ELSEWHERE = {"cross-site": "127.0.0.2", "same-site": "127.0.0.1"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory, mnist_data, save_lab_style_model):
    directory = tmp_path_factory.mktemp("framing")
    model = save_lab_style_model(directory / "small.npz", mnist_data, n_train=2000,
                                 hidden=(6,), seed=0)
    with (lab_app(model, work_dir=directory / "jobs", idle_timeout=IDLE, heartbeat=0.2) as app,
          running(app) as server):
        yield {"url": f"http://127.0.0.1:{server.port}/",
               "lab": app.extensions["steepest_lab"]}


def foreign_page(lab_url: str) -> bytes:
    """A page that frames the lab's page, a JSON route and every event-stream slot."""
    frames = [lab_url, lab_url + "api/model"] + [lab_url + "api/train/events"] * MAX_STREAMS
    return ("<!doctype html><title>elsewhere</title>"
            + "".join(f'<iframe src="{src}"></iframe>' for src in frames)
            + f'<p><a id="link" href="{lab_url}">the lab</a></p>').encode()


@pytest.fixture(scope="module")
def elsewhere(lab):
    """``{"cross-site": url, "same-site": url}``: the foreign page, served from each place."""
    body = foreign_page(lab["url"])

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    servers = {kind: http.server.ThreadingHTTPServer((host, 0), Page)
               for kind, host in ELSEWHERE.items()}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {kind: f"http://{ELSEWHERE[kind]}:{s.server_address[1]}/"
           for kind, s in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


def start_job(lab) -> int:
    manager = lab["lab"].manager
    wait_for(lambda: not manager.status()["running"], 60, "the last job to end")
    request = urllib.request.Request(lab["url"] + "api/train", data=json.dumps(LONG_JOB).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        assert r.status == 202
        return json.load(r)["id"]


def wait_for(predicate, timeout: float, what: str, page=None):
    """Poll ``predicate``; with a ``page``, let playwright deliver its events meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        page.wait_for_timeout(100) if page is not None else time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def open_foreign_page(context, url: str, lab_url: str):
    """Open ``url`` in a new tab; returns it and the lab's answers to its frames' navigations."""
    page = context.new_page()
    answers = []
    page.on("response", lambda r: answers.append(r) if r.url.startswith(lab_url)
            and r.request.is_navigation_request() and r.frame.parent_frame == page.main_frame
            else None)
    page.goto(url, wait_until="domcontentloaded")
    return page, answers


def assert_frames_refused(foreign, answers) -> None:
    """Each frame is refused by the guard and by the headers, and shows nothing of the lab."""
    try:
        wait_for(lambda: len(answers) == MAX_STREAMS + 2, 30, "the frames' answers", foreign)
    except AssertionError:  # a frame the lab served holds its connection: others wait
        raise AssertionError(f"{foreign.url}: the lab answered {len(answers)} frames, with "
                             f"{sorted(r.status for r in answers)}") from None
    for r in answers:
        assert r.status == 403, (foreign.url, r.url, r.status)
        assert r.headers.get("x-frame-options") == "DENY", r.url
        assert r.headers.get("content-security-policy") == "frame-ancestors 'none'", r.url
    frames = foreign.main_frame.child_frames
    assert len(frames) == MAX_STREAMS + 2
    wait_for(lambda: all(f.url.startswith("chrome-error://") for f in frames), 10,
             "every frame blocked (Chrome's error page in its place)", foreign)


def test_another_sites_frames_are_refused_and_cannot_keep_a_job_alive(browser, lab, elsewhere):
    """Both foreign pages, in tabs of one browser beside the lab's own page, while a job runs."""
    manager = lab["lab"].manager
    start_job(lab)
    context = browser.new_context()
    try:
        tabs = [open_foreign_page(context, url, lab["url"]) for url in elsewhere.values()]
        for foreign, answers in tabs:
            assert_frames_refused(foreign, answers)

        # the lab's own page still follows the job: no 429 (a console error) for its stream
        page = context.new_page()
        console = Console(page)
        page.goto(lab["url"])
        page.click("#tab-train")
        expect(page.locator("#train-status")).to_contain_text("Epoch", timeout=60_000)
        assert not console.unexpected()
        # ... and once it has gone, the foreign pages alone do not keep the job alive
        page.close()
        wait_for(lambda: manager.status()["job"]["state"] == "cancelled", IDLE + 30,
                 "the job to stop with only the foreign pages open", tabs[0][0])
        assert "no page has followed" in manager.status()["job"]["message"]
    finally:
        context.close()
        manager.cancel()


def test_the_headers_alone_block_frames_and_free_the_streams(browser, lab):
    """What a browser that sends no Sec-Fetch-* headers gets (an old one, or any browser on a
    lab at a non-loopback http:// address): frames from the lab's own origin pass the guard,
    so only X-Frame-Options/CSP stop them -- and Chrome then drops the event streams too."""
    manager = lab["lab"].manager
    start_job(lab)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(lab["url"] + "static/style.css")  # the lab's origin, but not its page
        frames = [lab["url"]] + [lab["url"] + "api/train/events"] * MAX_STREAMS
        page.evaluate("""urls => urls.forEach(url => { const f = document.createElement('iframe');
                                                      f.src = url; document.body.append(f); })""",
                      frames)
        wait_for(lambda: len(page.main_frame.child_frames) == len(frames) and all(
            f.url.startswith("chrome-error://") for f in page.main_frame.child_frames), 30,
            "every frame blocked", page)
        wait_for(lambda: manager.status()["job"]["state"] == "cancelled", IDLE + 30,
                 "the job to stop with only the blocked frames open", page)
        assert "no page has followed" in manager.status()["job"]["message"]
    finally:
        context.close()
        manager.cancel()


def test_a_link_from_another_site_opens_the_lab(browser, lab, elsewhere):
    """A person following a link: a top-level navigation (Sec-Fetch-Dest: document)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(elsewhere["cross-site"], wait_until="domcontentloaded")
        with page.expect_navigation(url=lab["url"] + "**") as navigation:
            page.click("#link")
        assert navigation.value.status == 200
        expect(page.locator("#model-status")).to_contain_text("Model v")
    finally:
        context.close()
