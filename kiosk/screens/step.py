"""The base of every question after the first tap: answered, skipped or timed out.

A step reports with one :class:`StepScreen.Done` message and lets the app decide
what comes next (see :mod:`kiosk.flow`). Any key or tap restarts its timeout from
now (see :mod:`kiosk.screens.timed`), so a customer who is still answering is never cut off.
No step starts with a choice focused: a stray Enter answers nothing.

The app makes each step screen once and shows it again for every visit (a kiosk
runs for months: new screens per tap would leave Textual's bounded caches holding
the old ones). :meth:`StepScreen.begin` starts a visit; ``on_screen_resume`` in a
subclass clears what the previous customer left. Textual calls ``on_mount``,
``on_key`` and ``on_screen_resume`` of every class in the MRO, so subclasses define
their own without calling ``super()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from textual.message import Message

from kiosk.flow import Step
from kiosk.screens.focus import ArrowFocus
from kiosk.screens.timed import TimedScreen
from kiosk.settings import KioskSettings
from shared.store import utc_now


class StepScreen(ArrowFocus, TimedScreen[None]):
    step: ClassVar[Step]

    @dataclass
    class Done(Message):
        """The customer answered (``value``), skipped (``value`` None) or walked away (``timed_out``)."""

        step: Step
        visit: str
        value: Any = None
        timed_out: bool = False

    def __init__(
        self, settings: KioskSettings, *, timeout: float | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__(timeout=settings.step_timeout_seconds if timeout is None else timeout, clock=clock)
        self.settings = settings
        self.texts = settings.texts
        self.visit = ""
        self._finished = True

    def begin(self, visit: str) -> None:
        """Prepare for a new customer's answer (``visit`` is the rating's id); call before showing."""
        self.visit = visit
        self._finished = False
        self.set_focus(None)  # nothing the previous customer focused stays focused

    def on_screen_resume(self) -> None:
        self.start_timeout()

    def on_screen_suspend(self) -> None:
        self.stop_timeout()

    def finish(self, value: Any = None) -> None:
        """Report the answer once; later taps on the same screen are ignored."""
        if self._finished:
            return
        self._finished = True
        self.stop_timeout()
        self.post_message(self.Done(self.step, self.visit, value))

    def skip(self) -> None:
        self.finish(None)

    def time_out(self) -> None:
        if self._finished:
            return
        self._finished = True
        self.post_message(self.Done(self.step, self.visit, None, timed_out=True))
