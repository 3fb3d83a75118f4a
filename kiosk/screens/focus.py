"""Arrow keys that move focus along a screen's choices and stop at the ends.

Textual's ``focus_next``/``focus_previous`` wrap around, so Down on "Exceeded" landed on "Fell short";
at a counter the last choice must stay the last.
"""

from __future__ import annotations

from textual.screen import Screen


class ArrowFocus:
    """Mix into a :class:`~textual.screen.Screen`; bind keys to ``move_focus(-1)`` and ``move_focus(1)``."""

    def action_move_focus(self, step: int) -> None:
        assert isinstance(self, Screen)
        chain = self.focus_chain
        if not chain:
            return
        if self.focused not in chain:  # nothing focused yet: enter from the end the arrow points from
            self.set_focus(chain[0] if step > 0 else chain[-1])
            return
        index = min(max(chain.index(self.focused) + step, 0), len(chain) - 1)
        self.set_focus(chain[index])
