"""What the browser tests rely on: the audit they run on every page fails on what it must
catch, and WebDriver's scripts (axe-core) run in pages whose own inline scripts the
Content-Security-Policy refuses."""

from __future__ import annotations

import pytest

from tests.browser.harness import Page
from tests.helpers.marks import SLOW

pytestmark = pytest.mark.browser


def test_the_audit_fails_on_a_field_without_label_a_control_out_of_tab_reach_and_axe(
        page: Page) -> None:
    page.open("/login")
    page.driver.execute_script("""
        document.getElementById('main').insertAdjacentHTML('beforeend',
          '<h4>A heading that skips two levels</h4>' +
          '<input id="no-label" name="x">' +
          '<button id="mouse-only" tabindex="-1">Only with a mouse</button>' +
          '<img id="no-alt" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">');
    """)
    with pytest.warns(UserWarning, match="axe moderate: heading-order"), \
            pytest.raises(AssertionError) as failed:
        page.audit()
    report = str(failed.value)
    assert 'form field without a label: <input id="no-label"' in report
    assert 'not reachable with Tab: <button id="mouse-only"' in report
    assert "axe critical: image-alt" in report
    assert "axe critical: label" in report
    assert "heading-order" not in report, "a moderate finding failed the test"


@SLOW
def test_webdriver_scripts_run_but_the_pages_own_inline_scripts_are_refused(
        page: Page) -> None:
    page.open("/login")
    assert page.driver.execute_script("return typeof axe.run") == "function"
    ran = page.driver.execute_script(
        "const s = document.createElement('script');"
        "s.textContent = 'window.inlineRan = true';"
        "document.head.appendChild(s);"
        "return window.inlineRan === true;")
    assert ran is False
    refused = [e["message"] for e in page.driver.get_log("browser")]
    assert any("Content Security Policy" in line for line in refused), refused
