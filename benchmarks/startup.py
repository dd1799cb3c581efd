"""Time from process start to the first answer: `nlq ask` in a fresh process,
as a user at a terminal sees it (imports, layer, value index, understanding,
query, output)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

QUESTION = "上个月各渠道的GMV"


def cli_first_answer(db: Path, *, repeats: int = 5) -> list[float]:
    nlq = Path(sys.executable).with_name("nlq")
    seconds: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            [str(nlq), "ask", QUESTION, "--db", str(db), "--format", "json"],
            check=True,
            capture_output=True,
        )
        seconds.append(time.perf_counter() - started)
    return seconds


UI_QUESTION = "上个月各渠道的GMV"


def ui_first_answer(db: Path, *, repeats: int = 5) -> list[float]:
    """The demo server started as `make demo` does (`streamlit run serve.py`), then a
    browser that is already open loads the page and asks: seconds from the server process start to the chart drawn."""
    import os

    from playwright.sync_api import sync_playwright

    # The browser test's way of driving Debian's chromium, so both measure the same thing.
    from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, server_command, wait_until_up

    root = Path(__file__).resolve().parents[1]
    seconds: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(repeats):
            port = free_port()
            env = dict(os.environ, NLQ_DB=str(db))
            started = time.perf_counter()
            server = subprocess.Popen(
                server_command(port), cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                url = f"http://127.0.0.1:{port}"
                if not wait_until_up(url, server):
                    raise RuntimeError("streamlit did not start")
                page = browser.new_page()
                page.goto(url)
                box = page.get_by_test_id("stChatInputTextArea")
                box.wait_for(timeout=120_000)
                box.fill(UI_QUESTION)
                box.press("Enter")
                chart = page.get_by_test_id("stVegaLiteChart").first
                chart.locator("svg.marks, canvas").first.wait_for(timeout=120_000)
                seconds.append(time.perf_counter() - started)
                page.close()
            finally:
                server.terminate()
                server.wait(timeout=30)
        browser.close()
    return seconds


def measure_apart(db: Path) -> dict[str, list[float]]:
    """Both figures from a fresh process: the benchmark's own process has by then
    run every scale's queries, and a browser driven from it answered 1.3 s later
    than one driven from a new process (4.45 s against 3.1 s, same machine, same hour)."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.startup", str(db)],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":
    database = Path(sys.argv[1])
    print(json.dumps({"cli": cli_first_answer(database), "ui": ui_first_answer(database)}))
