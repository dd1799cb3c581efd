"""Time from process start to the first answer: `nlq ask` in a fresh process,
as a user at a terminal sees it (imports, layer, value index, understanding,
query, output)."""

from __future__ import annotations

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
