"""The browse site in a real browser: Debian's headless Chromium driven by Playwright, the site served
by `indexgen serve` on 127.0.0.1. Screenshots (home and a project page, light and dark) go to
tests/artifacts/, which git ignores."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexgen.render import render_site
from indexgen.serve import make_server, server_url

from .browse_sample import PUBLIC, SITE_URL, browse_index

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("INDEXGEN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI installs it (.ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browse-site")
    for path, data in render_site(browse_index(), SITE_URL, PUBLIC).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    server = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_url(server)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    yield page
    page.close()


def visible_names(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all("#projects > li:not([hidden])", "els => els.map(e => e.dataset.name)")
    )


def test_home_loads_without_errors_or_requests_leaving_loopback(page: Any, site_url: str) -> None:
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    for path in ("", "p/acme-utils/", "problems/", "no/such/page"):
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
    # The 404 page's own status is the one "error" the browser reports.
    assert [e for e in errors if "404" not in e] == []
    assert requests and all(r.startswith(site_url) for r in requests), requests
    page.goto(site_url)
    assert visible_names(page) == ["acme-core", "acme-utils", "beta-tool", "zeta-utils"]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Zeta_Utils", ["zeta-utils"]),  # PEP 503: _ . - are one
        ("zeta.utils", ["zeta-utils"]),
        ("ACME", ["acme-core", "acme-utils"]),
        ("schemas", ["acme-core"]),  # the summary
        ("http", ["acme-utils"]),  # a topic
        ("nothing-like-this", []),
    ],
)
def test_typing_in_the_search_box_narrows_the_list(
    page: Any, site_url: str, typed: str, found: list[str]
) -> None:
    page.goto(site_url)
    page.locator("#search").press_sequentially(typed)
    assert visible_names(page) == found
    assert page.locator("#no-results").is_visible() == (not found)
    assert page.locator("#recent").is_hidden()
    page.locator("#search").fill("")
    assert len(visible_names(page)) == 4
    assert page.locator("#recent").is_visible()


def test_without_javascript_the_home_page_is_the_complete_list(browser: Any, site_url: str) -> None:
    page = browser.new_page()  # the site's only script never loads: as with JavaScript off
    try:
        page.route("**/assets/site.js", lambda route: route.abort())
        page.goto(site_url)
        assert len(page.locator("#projects > li").all()) == 4
        assert all(li.is_visible() for li in page.locator("#projects > li").all())
        assert page.locator("form.search").is_hidden()  # no box that does nothing
        assert page.locator("button.copy").count() == 2 and not page.locator("button.copy").first.is_visible()
    finally:
        page.close()


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("pip-install", "pip install --extra-index-url https://acme.github.io/index/simple/ acme-utils"),
        ("requirements", "--extra-index-url https://acme.github.io/index/simple/\nacme-utils==2.0.0"),
        (
            "uv-sources",
            '[project]\ndependencies = [\n    "acme-utils",\n    "zeta-utils",\n    "acme-core",\n]\n\n'
            "[tool.uv.sources]\n"
            f'acme-utils = {{ git = "https://github.com/acme/utils.git", rev = "{"b" * 40}" }}\n'
            f'zeta-utils = {{ git = "https://github.com/acme/Zeta_Utils.git", rev = "{"e" * 40}" }}\n'
            f'acme-core = {{ git = "https://github.com/acme/core.git", rev = "{"1" * 40}" }}',
        ),
    ],
)
def test_a_copy_button_puts_the_exact_snippet_on_the_clipboard(
    browser: Any, page: Any, site_url: str, snippet: str, expected: str
) -> None:
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    page.goto(site_url + "p/acme-utils/")
    button = page.locator(f'button[data-copy="{snippet}"]')
    button.click()
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert button.inner_text() == "Copied"


@pytest.mark.parametrize("path", ["", "p/acme-utils/", "p/acme-core/", "problems/", "404.html"])
def test_375_pixels_wide_nothing_scrolls_sideways(page: Any, site_url: str, path: str) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(site_url + path)
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths


def _tab_until(page: Any, selector: str, limit: int = 60) -> list[str]:
    """Press Tab until the focused element matches `selector`; the focus path, for the message."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return seen
        seen.append(page.evaluate("document.activeElement.outerHTML.slice(0, 60)"))
    raise AssertionError(f"Tab never reached {selector}: {seen}")


def test_keyboard_alone_reaches_the_search_box_and_the_copy_buttons(page: Any, site_url: str) -> None:
    page.goto(site_url)
    _tab_until(page, "#search")
    page.keyboard.type("core")
    assert visible_names(page) == ["acme-core"]
    page.goto(site_url + "p/acme-utils/")
    _tab_until(page, "button.copy")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('button.copy')")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_home_and_a_project_page(page: Any, site_url: str, scheme: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.emulate_media(color_scheme=scheme)
    for name, path in (("home", ""), ("project", "p/acme-utils/")):
        page.goto(site_url + path)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(255, 255, 255)") == (scheme == "light"), background
        shot = ARTIFACTS / f"{name}-{scheme}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000


# Every element that shows text of its own: its colour against the first opaque background behind it.
CONTRAST_JS = """() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    found.push([el.tagName + "." + el.className, el.textContent.trim().slice(0, 30), Math.round(ratio * 100) / 100]);
  }
  return found;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["", "p/acme-utils/", "p/acme-core/", "problems/", "404.html"])
def test_every_text_has_a_contrast_of_at_least_4_5(page: Any, site_url: str, scheme: str, path: str) -> None:
    page.emulate_media(color_scheme=scheme)
    page.goto(site_url + path)
    measured = page.evaluate(CONTRAST_JS)
    assert len(measured) >= 8  # the check saw the page's text
    low = [m for m in measured if m[2] < 4.5]
    assert low == [], low
