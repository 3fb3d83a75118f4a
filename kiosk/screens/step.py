"""The base of every question after the first tap: answered, skipped or timed out.

A step reports with one :class:`StepScreen.Done` message and lets the app decide
what comes next (see :mod:`kiosk.flow`). Any key or tap restarts its timeout, so a
customer who is still answering is never cut off.

Textual calls ``on_mount`` and ``on_key`` of every class in the MRO, so
subclasses define their own without calling ``super()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

from kiosk.flow import Step
from kiosk.settings import KioskSettings


class StepScreen(Screen[None]):
    step: ClassVar[Step]

    @dataclass
    class Done(Message):
        """The customer answered (``value``), skipped (``value`` None) or walked away (``timed_out``)."""

        step: Step
        value: Any = None
        timed_out: bool = False

    def __init__(self, settings: KioskSettings, *, timeout: float | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.texts = settings.texts
        self.timeout = settings.step_timeout_seconds if timeout is None else timeout
        self._timer: Timer | None = None
        self._finished = False

    def on_mount(self) -> None:
        self._timer = self.set_timer(self.timeout, self.time_out)

    def on_key(self, event: events.Key) -> None:
        self.keep_alive()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.keep_alive()

    def keep_alive(self) -> None:
        if self._timer is not None:
            self._timer.reset()

    def finish(self, value: Any = None) -> None:
        """Report the answer once; later taps on the same screen are ignored."""
        if self._finished:
            return
        self._finished = True
        if self._timer is not None:
            self._timer.stop()
        self.post_message(self.Done(self.step, value))

    def skip(self) -> None:
        self.finish(None)

    def time_out(self) -> None:
        if self._finished:
            return
        self._finished = True
        self.post_message(self.Done(self.step, None, timed_out=True))
