"""Headless Chromium for the browser tests: the browser itself, signing in through the login
form as a person would, the layout faults a reader would call broken, and the README's
screenshots (written only when CAGEKEEPER_SCREENS names a folder)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESK: ViewportSize = {"width": 1280, "height": 800}
After = Callable[[Page, str, str], None]  # run on each page layout_problems opens

# what a reader would call broken, measured in the page: [] when all is well
PROBLEMS = """() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth)
    out.push(`page ${doc.scrollWidth} px wide in a ${window.innerWidth} px window`);
  document.querySelectorAll("section").forEach((s, n) => {
    if (s.scrollWidth > s.clientWidth + 1)
      out.push(`section ${n} (${s.querySelector("h1,h2")?.textContent.trim()}) scrolls sideways`);
  });
  const ruler = document.createElement("canvas").getContext("2d");
  document.querySelectorAll("input[placeholder]").forEach((input) => {
    const box = input.getBoundingClientRect();
    if (box.width === 0) return;
    const style = getComputedStyle(input);
    ruler.font = style.font;
    const text = ruler.measureText(input.placeholder).width;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
      - (input.type === "number" ? 20 : 0);
    if (text > room) out.push(`placeholder "${input.placeholder}" cut off`);
    if (box.right > window.innerWidth + 0.5) out.push(`input "${input.name}" off screen`);
  });
  document.querySelectorAll("label.check").forEach((label) => {
    const box = label.querySelector("input").getBoundingClientRect();
    const words = Array.from(label.childNodes)
      .find((n) => n.nodeType === 3 && n.textContent.trim());
    if (!words || box.width === 0) return;
    const range = document.createRange();
    range.selectNodeContents(words);
    const line = range.getClientRects()[0];
    const middle = (box.top + box.bottom) / 2;
    if (middle < line.top || middle > line.bottom || box.right > line.left)
      out.push(`checkbox "${words.textContent.trim()}" not beside its words`);
  });
  return out;
}"""


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless; a clear failure where it is not installed."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is missing: apt-get install chromium (scripts/setup.sh --test)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def signed_in(
    browser: Browser,
    url: str,
    user: str,
    password: str,
    viewport: ViewportSize = DESK,
    lands: str = "/",
) -> Page:
    """A new page, signed in through the login form and arrived where that user is sent."""
    page = browser.new_page(viewport=viewport)
    fill_login(page, url, user, password)
    expect(page).to_have_url(url + lands)
    return page


def fill_login(page: Page, url: str, user: str, password: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def shoot(page: Page, name: str) -> None:
    """``name``.png for the README, when CAGEKEEPER_SCREENS names the folder."""
    if folder := os.environ.get("CAGEKEEPER_SCREENS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def screenshots(prefix: str, only: Collection[tuple[str, str]] | None = None) -> After:
    """For layout_problems: a screenshot of each page opened (or of those in ``only``), named
    ``prefix`` + the page's name."""

    def after(page: Page, path: str, name: str) -> None:
        if only is None or (path, name) in only:
            shoot(page, prefix + name)

    return after


def layout_problems(
    page: Page,
    url: str,
    pages: Iterable[tuple[str, str]],
    after: After | None = None,
) -> dict[str, list[str]]:
    """Each (path, name) opened in turn: what PROBLEMS finds there, by path (empty when all
    read well); ``after`` runs on each page once it is measured (a screenshot, say)."""
    found: dict[str, list[str]] = {}
    for path, name in pages:
        page.goto(url + path)
        page.wait_for_load_state("load")
        if problems := page.evaluate(PROBLEMS):
            found[path] = problems
        if after is not None:
            after(page, path, name)
    return found
