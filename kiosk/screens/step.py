"""The base of every question after the first tap: answered, skipped or timed out.

A step reports with one :class:`StepScreen.Done` message and lets the app decide
what comes next (see :mod:`kiosk.flow`). Any key or tap restarts its timeout, so a
customer who is still answering is never cut off.

The app makes each step screen once and shows it again for every visit (a kiosk
runs for months: new screens per tap would leave Textual's bounded caches holding
the old ones). :meth:`StepScreen.begin` starts a visit; ``on_screen_resume`` in a
subclass clears what the previous customer left. Textual calls ``on_mount``,
``on_key`` and ``on_screen_resume`` of every class in the MRO, so subclasses define
their own without calling ``super()``.
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
        visit: str
        value: Any = None
        timed_out: bool = False

    def __init__(self, settings: KioskSettings, *, timeout: float | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.texts = settings.texts
        self.timeout = settings.step_timeout_seconds if timeout is None else timeout
        self.visit = ""
        self._timer: Timer | None = None
        self._finished = True

    def begin(self, visit: str) -> None:
        """Prepare for a new customer's answer (``visit`` is the rating's id); call before showing."""
        self.visit = visit
        self._finished = False

    def on_screen_resume(self) -> None:
        self._stop_timer()
        self._timer = self.set_timer(self.timeout, self.time_out)

    def on_screen_suspend(self) -> None:
        self._stop_timer()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

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
        self._stop_timer()
        self.post_message(self.Done(self.step, self.visit, value))

    def skip(self) -> None:
        self.finish(None)

    def time_out(self) -> None:
        if self._finished:
            return
        self._finished = True
        self.post_message(self.Done(self.step, self.visit, None, timed_out=True))
