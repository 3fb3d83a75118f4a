"""One door, two backends: every contract test runs on the local store and on the remote client.

Modelled on TinyDB's ``tests/conftest.py`` (every test on both storages through one parametrised
fixture). ``local`` is a :class:`~shared.store.FeedbackStore` in a temporary folder; ``remote`` is
:class:`~manager.remote.RemoteStore` against the real server (``run_sms.py`` under waitress on
127.0.0.1, one per module), with a fell short opened the way a kiosk on another machine opens it:
a sync batch with a kiosk's token. A test only the local store can pass asks for ``local_only``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "sync"))
sys.path.insert(0, str(Path(__file__).parent))

from backends import TARGET_TOML, Backend, local_backend, remote_backend
from sync_helpers import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("contract") / "server", TARGET_TOML)
    server.start()
    yield server
    server.kill()


@pytest.fixture(params=["local", pytest.param("remote", marks=pytest.mark.slow)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return local_backend(tmp_path)
    return remote_backend(request.getfixturevalue("server"))


@pytest.fixture
def local_only(tmp_path: Path) -> Backend:
    """For what only the local store offers (recording answers, exporting ratings)."""
    return local_backend(tmp_path)
