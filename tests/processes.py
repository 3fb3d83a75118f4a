"""Child processes the tests start (the real server): stopped the same way everywhere."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen[str], timeout: float = 10.0) -> str:
    """SIGTERM, then SIGKILL if it will not go; returns what it wrote to stderr (for log checks)."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    return process.stderr.read() if process.stderr else ""
