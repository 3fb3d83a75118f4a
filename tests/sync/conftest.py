"""Fixtures for the sync API: a real store in tmp_path and the real Flask app with per-client tokens."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).parent))

from sync_helpers import ServerProcess, load

from server.app import create_app
from shared.config import Config
from shared.store import FeedbackStore
from sms.sender import ConsoleSender


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """The real server (``run_sms.py`` under waitress) on 127.0.0.1, killed after the test."""
    server = ServerProcess(tmp_path / "server")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load(tmp_path)


@pytest.fixture
def store(config: Config) -> FeedbackStore:
    return FeedbackStore.from_config(config)


@pytest.fixture
def app(config: Config, store: FeedbackStore) -> Flask:
    app = create_app(config, store=store, sender=ConsoleSender())
    app.testing = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
