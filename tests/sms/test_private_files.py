"""What the SMS server keeps of a customer's text is readable by its owner only, whatever the umask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_end_to_end import server, text  # noqa: F401 - the real server on 127.0.0.1, and a signed text

from tests.modes import UMASKS, not_private, umask


@pytest.fixture(params=UMASKS, ids=oct)
def mask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Set before ``server`` starts, so the server runs under it."""
    with umask(request.param):
        yield request.param


def test_a_text_leaves_only_owner_readable_files(mask: int, server: tuple[str, Path, dict[str, str]]) -> None:  # noqa: F811
    base, data, _ = server
    status, _ = text(base, "3 great service from Ana", "SM" + "b" * 32)
    assert status == 200
    assert list((data / "ratings").glob("*/*.json")) and (data / ".lock").exists()
    assert not_private(data) == {}
