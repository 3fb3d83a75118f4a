"""Write the README's screenshot of the kiosk: the idle screen as a customer finds it at 80×24
(a staff PIN set, an SMS number for the QR code, nothing focused).

python tests/kiosk/screenshots.py        # writes docs/kiosk-idle.svg
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.app import KioskApp  # noqa: E402
from kiosk.pin import hash_pin  # noqa: E402
from shared.config import load_config  # noqa: E402
from tests.kiosk.conftest import STAFF_PIN, write_config  # noqa: E402


async def shoot(folder: Path) -> None:
    kiosk = {"station": "Front desk", "sms_number": "+14155550134", "pin_hash": hash_pin(STAFF_PIN)}
    config = load_config(write_config(folder / "feedback.toml", kiosk), data_dir=folder / "data", environ={})
    app = KioskApp(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.save_screenshot(filename="kiosk-idle.svg", path=str(ROOT / "docs"))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(shoot(Path(folder)))


if __name__ == "__main__":
    main()
