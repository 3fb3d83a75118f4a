"""Write the README's screenshots of the console (the snapshot tests' fixed data and clock).

python tests/manager/screenshots.py        # writes docs/manager-queue.svg and docs/manager-stats.svg
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.manager.test_snapshots import queue_app, stats_app  # noqa: E402


async def shoot(app, keys: list[str], name: str) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        app.save_screenshot(filename=name, path=str(ROOT / "docs"))


def main() -> None:
    (ROOT / "docs").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as queue_dir, tempfile.TemporaryDirectory() as stats_dir:
        asyncio.run(shoot(queue_app(Path(queue_dir)), [], "manager-queue.svg"))
        asyncio.run(shoot(stats_app(Path(stats_dir)), ["s"], "manager-stats.svg"))


if __name__ == "__main__":
    main()
