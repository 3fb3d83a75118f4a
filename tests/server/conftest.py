"""The server tests run the real ``run_sms.py`` (waitress on 127.0.0.1), with the sync tests' helpers."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "sync"))
sys.path.insert(0, str(Path(__file__).parent))
