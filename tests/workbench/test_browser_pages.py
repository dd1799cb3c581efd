"""The pages in a real browser (`streamlit run app.py`, Debian's chromium): the
navigation follows the role chosen in the chat, the join graph is drawn, and
the role survives a trip to another page and back (Streamlit forgets the
value of a widget that a page does not draw unless it is kept)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, WAIT_MS, _signed_in, app_url

__all__ = ["app_url"]  # the server fixture, shared with the chat's browser test


def test_pages_follow_the_role_and_keep_it(app_url: str) -> None:
    assert CHROMIUM.exists(), "apt-get install chromium (see .ci/run)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _signed_in(browser, app_url, "li.na")  # an administrator: may view as each role
            nav = page.get_by_test_id("stSidebarNav")
            roles = page.get_by_role("radiogroup", name="以此角色查看（管理员）")
            roles.get_by_text("数据分析师").click()
            # The analyst curates the layer but reads nobody's questions.
            expect(nav.get_by_text("语义层 · Semantic layer")).to_be_visible(timeout=WAIT_MS)
            expect(nav.get_by_text("审计 · Audit")).to_have_count(0)

            roles.get_by_text("市场营销").click()
            expect(nav).to_have_count(0, timeout=WAIT_MS)  # the chat alone: no navigation

            roles.get_by_text("管理员").click()
            nav.get_by_text("语义层 · Semantic layer").click()
            page.get_by_role("tab", name="关系图").click(timeout=WAIT_MS)
            graph = page.get_by_test_id("stGraphVizChart")
            graph.locator("svg").first.wait_for(timeout=WAIT_MS)
            expect(graph.locator("svg g.node")).to_have_count(9)
            page.screenshot(path=str(Path(SHOTS) / "10-semantic-layer.png"), full_page=True)

            nav.get_by_text("审计 · Audit").click()
            expect(page.get_by_role("heading", name="审计日志")).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=str(Path(SHOTS) / "11-audit.png"), full_page=True)

            nav.get_by_text("问数 · Ask").click()
            page.get_by_test_id("stChatInputTextArea").wait_for(timeout=WAIT_MS)
            expect(roles.get_by_role("radio", name="管理员")).to_be_checked(timeout=WAIT_MS)
            expect(page.get_by_text("was created with a default value")).to_have_count(0)
            expect(nav.get_by_text("审计 · Audit")).to_be_visible()
        finally:
            browser.close()
