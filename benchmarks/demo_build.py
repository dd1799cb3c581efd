"""Demo warehouse build time and peak memory per scale, each build in a fresh
process. Prints a Markdown table. Usage: python benchmarks/demo_build.py [SCALE ...]"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
from nlq.demo.warehouse import build_warehouse
started = time.perf_counter()
report = build_warehouse(sys.argv[1], scale=float(sys.argv[2]), seed=42)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "orders": report.rows["orders"], "events": report.rows["events"]}))
"""


def measure(scale: float, keep: Path | None = None) -> dict[str, float]:
    """One build in a fresh process; `keep` keeps the built file there."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "demo.duckdb"
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(out), str(scale)], capture_output=True, text=True, check=True
        )
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        result["file_mib"] = out.stat().st_size / 2**20
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(out, keep)
        return result


def main(scales: list[float]) -> None:
    print(
        "| scale | runs | build time p50 / max (s) | peak memory max (MiB) | file (MiB) | orders | events |"
    )
    print("|---|---|---|---|---|---|---|")
    for scale in scales:
        runs = 3 if scale <= 1 else 1
        results = [measure(scale) for _ in range(runs)]
        seconds = [r["seconds"] for r in results]
        print(
            f"| {scale:g} | {runs} | {statistics.median(seconds):.1f} / {max(seconds):.1f} | "
            f"{max(r['peak_mib'] for r in results):,.0f} | {results[0]['file_mib']:,.0f} | "
            f"{int(results[0]['orders']):,} | {int(results[0]['events']):,} |"
        )


if __name__ == "__main__":
    main([float(s) for s in sys.argv[1:]] or [1.0, 10.0])
