"""Write the README's screenshots of the console (the snapshot tests' fixed data and clock), and the
perception gap chart of the HTML report over the hand-worked loop data set.

python tests/manager/screenshots.py        # writes docs/manager-queue.svg, docs/manager-stats.svg
                                           # and docs/perception-gap.svg
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


def perception_picture(folder: Path) -> str:
    """The gap chart exactly as the HTML report draws it, with the report's text style, on white."""
    from zoneinfo import ZoneInfo

    from manager.loop_report import gap_chart_svg, groups
    from manager.report import gather, render_html
    from shared.store import FeedbackStore
    from tests.manager import dataset, loop_dataset
    from tests.manager.test_report import TARGET

    store = FeedbackStore(folder)
    loop_dataset.build(store)
    stats = gather(
        store, since=dataset.DAY, until=dataset.DAY, zone=ZoneInfo(dataset.ZONE), now=dataset.NOW, target=TARGET
    )
    assert stats.perception is not None
    chart = gap_chart_svg(groups(stats.perception))
    assert chart in render_html(stats)
    style = "<style>text{font-family:system-ui,sans-serif;font-size:10px;fill:#444}</style>"
    background = '<rect width="100%" height="100%" fill="#fff"/>'
    return chart.replace('width="100%" ', "").replace('">', f'">{style}{background}', 1)


def main() -> None:
    (ROOT / "docs").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as queue_dir, tempfile.TemporaryDirectory() as stats_dir:
        asyncio.run(shoot(queue_app(Path(queue_dir)), [], "manager-queue.svg"))
        asyncio.run(shoot(stats_app(Path(stats_dir)), ["s"], "manager-stats.svg"))
    with tempfile.TemporaryDirectory() as loop_dir:
        (ROOT / "docs" / "perception-gap.svg").write_text(perception_picture(Path(loop_dir)), encoding="utf-8")


if __name__ == "__main__":
    main()
