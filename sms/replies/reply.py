"""What a customer's text means: the one value every rule returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from shared.ratings import Outcome

__all__ = ["Reply", "ReplyKind"]


class ReplyKind(enum.StrEnum):
    RATING = "rating"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class Reply:
    """What a text means. ``outcome`` is set exactly when ``kind`` is ``rating``.

    ``rule`` names the rule that decided (for logs and tests); ``station_code`` is a
    ``#code`` found in the text (QR posters prefill one). ``is_reaction``: a tapback on one
    of our texts; ``removed``: a tapback taken back, which is no answer.
    """

    kind: ReplyKind
    outcome: Outcome | None = None
    comment: str = ""
    rule: str = ""
    station_code: str = ""
    is_reaction: bool = False
    removed: bool = False

    @property
    def is_bare_rating(self) -> bool:
        """A rating given by a digit, number word or reaction with nothing else: never a comment."""
        return self.kind is ReplyKind.RATING and not self.comment and self.rule in ("rating", "reaction")
