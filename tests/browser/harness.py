"""Driving the console in a real browser: Debian's chromium through chromedriver (Selenium),
against a real `publisher web` process on a loopback port.

Nothing is downloaded: the driver and the browser are given by path, so Selenium Manager never
runs (and SE_OFFLINE tells it to stay offline if it ever did); axe-core is the copy shipped in
the selenium-axe-python wheel. `Page` audits every page it lands on: axe-core (no serious or
critical violation), a label for every form field, every control reachable with Tab, and no
error in the browser's console (a blocked inline script would show there).
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver import Chrome
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait
from selenium_axe_python import axe as axe_module

from tests.conftest import HomeFixture

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--lang=en")
#: The viewport, so the screenshots' size: small enough to keep in the repository.
WINDOW = (1280, 800)
AXE_SCRIPT = Path(axe_module.__file__).parent / "axe-core" / "axe.min.js"
#: The axe-core impacts that fail a test; "minor" and "moderate" ones are pytest warnings.
FAILING_IMPACTS = frozenset({"serious", "critical"})
#: What an organizer can reach with Tab: links, buttons, form fields.
INTERACTIVE = ('a[href], button, input:not([type="hidden"]), select, textarea, '
               '[tabindex]:not([tabindex="-1"])')
WAIT = 10.0


def missing_binaries() -> list[str]:
    return [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]


def start_driver(user_data_dir: Path) -> Chrome:
    """Headless chromium with a fresh profile, English as the browser's language."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and chromedriver, "chromium and chromedriver must be installed"
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.add_experimental_option("prefs", {"intl.accept_languages": "en"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    width, height = WINDOW  # the page's viewport, the window's frame added
    frame_w, frame_h = driver.execute_script(
        "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]")
    driver.set_window_size(width + frame_w, height + frame_h)
    return driver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ConsoleProcess:
    """`publisher web` serving a home on a loopback port, until stop()."""

    home: HomeFixture
    log: Path
    base_url: str = ""
    _proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ConsoleProcess:
        """Start the process and wait until it answers."""
        return self.launch().wait_until_up()

    def launch(self) -> ConsoleProcess:
        """Start the process on a free port without waiting for it: it starts up (a second
        or so of imports) while the test prepares its home; `wait_until_up()` before use."""
        port = free_port()
        with self.log.open("wb") as out:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "publisher", "--home", str(self.home.path),
                 "--db", self.home.db_url, "web", "--port", str(port)],
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **self.home.env})
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def wait_until_up(self) -> ConsoleProcess:
        for _attempt in range(3):  # another process may take the free port first
            if self._wait_until_up():
                return self
            self.launch()
        raise AssertionError(f"publisher web did not start:\n{self.log.read_text()}")

    def _wait_until_up(self) -> bool:
        assert self._proc is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


@dataclass
class Audit:
    """What one page's audit found; `failures()` is what fails the test."""

    url: str
    violations: list[dict[str, Any]] = field(default_factory=list)
    unlabelled: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        out = [f"axe {v['impact']}: {v['id']} ({v['help']}) at "
               f"{[n['target'] for n in v['nodes']]}"
               for v in self.violations if v["impact"] in FAILING_IMPACTS]
        out += [f"form field without a label: {html}" for html in self.unlabelled]
        out += [f"not reachable with Tab: {html}" for html in self.unreachable]
        out += [f"browser console: {line}" for line in self.console_errors]
        return out


_UNLABELLED_FIELDS = """
return Array.from(document.querySelectorAll('input:not([type="hidden"]), select, textarea'))
  .filter(el => el.labels.length === 0 && !(el.getAttribute('aria-label') || '').trim()
                && !(el.getAttribute('aria-labelledby') || '').trim())
  .map(el => el.outerHTML.slice(0, 200));
"""

_RECORD_FOCUS = f"""
window.__focused = [];
document.addEventListener('focusin', e => window.__focused.push(e.target));
if (document.activeElement) document.activeElement.blur();
return Array.from(document.querySelectorAll('{INTERACTIVE}'))
  .filter(el => !el.disabled && el.getClientRects().length > 0);
"""

@functools.cache
def _axe_script() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical',
                                              help: String(e), nodes: []}]));
"""


class Page:
    """One browser on one console. Every navigation through it ends with `audit()`."""

    def __init__(self, driver: Chrome, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    # -- navigation ------------------------------------------------------------------------

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)
        self._landed()

    @contextmanager
    def navigating(self) -> Iterator[None]:
        """Wait for the page the body of the `with` leads to, then audit it."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        yield
        WebDriverWait(self.driver, WAIT).until(lambda _d: _gone(old))
        self._landed()

    def _landed(self) -> None:
        WebDriverWait(self.driver, WAIT).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        self.audit()

    # -- what is on the page ---------------------------------------------------------------

    @property
    def path(self) -> str:
        """The address shown, without the console's root, %-escapes decoded."""
        url: str = self.driver.current_url
        return urllib.parse.unquote(url.removeprefix(self.base_url))

    @property
    def lang(self) -> str:
        value: str = self.driver.execute_script("return document.documentElement.lang")
        return value

    def h1(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "h1").text

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def messages(self) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".message")]

    def by_id(self, element_id: str) -> WebElement:
        return self.driver.find_element(By.ID, element_id)

    def button(self, name: str, within: WebElement | None = None) -> WebElement:
        """The one button or link whose accessible name (what a screen reader says, the
        hidden words included: "Hold interview 2") is `name`."""
        scope = within or self.driver
        found = [e for e in scope.find_elements(By.CSS_SELECTOR, "button, a[href]")
                 if " ".join(e.accessible_name.split()) == name]
        assert len(found) == 1, f"{len(found)} controls named {name!r} on {self.path}"
        return found[0]

    def queue_ids(self) -> list[int]:
        """The interviews in the Queue page's table, in the order shown."""
        return [int(str(row.get_attribute("id")).removeprefix("interview-"))
                for row in self.driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")]

    def queue_row(self, interview_id: int) -> WebElement:
        return self.by_id(f"interview-{interview_id}")

    # -- the keyboard ----------------------------------------------------------------------

    def focused(self) -> WebElement:
        return self.driver.switch_to.active_element

    def tab_to(self, target: WebElement, limit: int = 200) -> int:
        """Press Tab until `target` has the focus (round the page if need be); the presses."""
        self.driver.execute_script("if (document.activeElement) document.activeElement.blur();"
                                   "window.scrollTo(0, 0);")
        for presses in range(1, limit + 1):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            if self.focused() == target:
                return presses
        raise AssertionError(f"Tab never reached {target.get_attribute('outerHTML')}")

    def press(self, key: str) -> None:
        ActionChains(self.driver).send_keys(key).perform()

    def activate(self, control: WebElement, key: str = Keys.ENTER) -> None:
        """Reach `control` with Tab and press `key` (Enter or Space) on it, then wait for
        the page it leads to."""
        self.tab_to(control)
        with self.navigating():
            self.press(key)

    def type_into(self, field: WebElement, text: str) -> None:
        """Tab to a text field, and type `text` over what it holds."""
        self.tab_to(field)
        ActionChains(self.driver).key_down(Keys.CONTROL).send_keys("a").key_up(
            Keys.CONTROL).send_keys(Keys.DELETE).perform()
        self.press(text)

    def attach(self, file_input: WebElement, path: Path) -> None:
        """Choose a file in a file field, as its dialog would (WebDriver types the path
        into the field: no dialog opens in a headless browser); the field must be
        reachable with Tab."""
        self.tab_to(file_input)
        file_input.send_keys(str(path))

    def choose(self, select: WebElement, visible_text: str) -> None:
        """Pick an option of a drop-down with the keyboard: Tab to it, then the arrow
        keys until the option is selected."""
        self.tab_to(select)
        menu = Select(select)
        options = [o.text for o in menu.options]
        assert visible_text in options, (visible_text, options)
        later = options.index(visible_text) > options.index(menu.first_selected_option.text)
        step = Keys.ARROW_DOWN if later else Keys.ARROW_UP
        for _ in range(len(options)):
            if menu.first_selected_option.text == visible_text:
                return
            self.press(step)
        raise AssertionError(f"could not choose {visible_text!r} among {options}")

    # -- the account -----------------------------------------------------------------------

    def log_in(self, name: str, password: str) -> None:
        """On the login page: the name field has the focus; type the name over what it
        holds, Tab, the password, Enter."""
        assert self.focused() == self.by_id("login-name"), "the name field has no focus"
        ActionChains(self.driver).key_down(Keys.CONTROL).send_keys("a").key_up(
            Keys.CONTROL).send_keys(name).perform()
        self.press(Keys.TAB)
        assert self.focused() == self.by_id("login-password")
        self.press(password)
        with self.navigating():
            self.press(Keys.ENTER)

    def log_out(self, label: str = "Log out") -> None:
        self.activate(self.button(label))

    # -- the audit -------------------------------------------------------------------------

    def audit(self) -> Audit:
        """axe-core, labels, Tab reachability and the browser's console on this page; fails
        the test on a serious or critical finding."""
        found = Audit(self.path)
        had_focus = self.focused()
        found.console_errors = self._console_errors()
        self.driver.execute_script(_axe_script())
        found.violations = self.driver.execute_async_script(_RUN_AXE)
        found.unlabelled = self.driver.execute_script(_UNLABELLED_FIELDS)
        found.unreachable = self._unreachable()
        self.driver.execute_script("arguments[0].focus()", had_focus)  # as the page left it
        for v in found.violations:
            if v["impact"] not in FAILING_IMPACTS:
                where = ", ".join(str(t) for n in v.get("nodes", [])[:3]
                                  for t in n.get("target", []))
                warnings.warn(f"{found.url}: axe {v['impact']}: {v['id']} ({v['help']})"
                              + (f" at {where}" if where else ""), stacklevel=2)
        failures = found.failures()
        assert not failures, f"{found.url}:\n" + "\n".join(failures)
        return found

    def _unreachable(self) -> list[str]:
        """The controls that pressing Tab (going round the page twice) never focuses."""
        controls: list[WebElement] = self.driver.execute_script(_RECORD_FOCUS)
        ActionChains(self.driver).send_keys(Keys.TAB * (2 * len(controls) + 4)).perform()
        focused: list[WebElement] = self.driver.execute_script("return window.__focused")
        self.driver.execute_script("if (document.activeElement) document.activeElement.blur();"
                                   "window.scrollTo(0, 0);")
        return [str(c.get_attribute("outerHTML"))[:200] for c in controls if c not in focused]

    def _console_errors(self) -> list[str]:
        """Errors the page logged: a style sheet not found, a script blocked by the CSP.
        The page's own status (a 401 for a wrong password, a 409 for a refused change: the
        tests check those) and the absent favicon are not errors."""
        page = str(self.driver.current_url).partition("#")[0]
        expected = (f"{page} - ", f"{self.base_url}/favicon.ico - ")
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE"
                and not (entry["source"] == "network"
                         and entry["message"].startswith(expected))]

    # -- pictures --------------------------------------------------------------------------

    def screenshot(self, path: Path) -> Path:
        """The window as it shows the page's top, no focus ring (the focus is given back),
        in 256 colours: the same to the eye, a third of the bytes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        had_focus = self.focused()
        self.driver.execute_script("if (document.activeElement) document.activeElement.blur();"
                                   "window.scrollTo(0, 0);")
        shot = Image.open(io.BytesIO(self.driver.get_screenshot_as_png()))
        self.driver.execute_script("arguments[0].focus()", had_focus)
        shot.convert("RGB").quantize(colors=256).save(path, format="PNG", optimize=True)
        return path


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _gone(element: WebElement) -> bool:
    """True once `element` belongs to a page that has been left. Chromium may answer
    "does not belong to the document" rather than a stale reference while the next page
    replaces the old one: both mean it is gone."""
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
    return False
