"""Understanding a customer's text: an ordered table of small, named rules.

Pure: text in, a :class:`Reply` out, never an exception. The first rule that gives an answer
wins, in this documented order (README, "How replies are read"); the word lists are data, one
file a language (``sms/words/*.toml``):

1. ``opt_out_type``   Twilio's ``OptOutType`` (STOP, START, HELP) when Twilio sends it
2. ``reaction``       a text that quotes one of our questions, or a tapback verb before a quote
                      (``Liked “…”``, ``Le gustó “…”``, ``👍 to “…”``); only what stands outside
                      the quote is read, and a reaction is never an opt-out
3. ``keyword``        STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; START, UNSTOP
                      (YES from an opted-out number); HELP, INFO: alone in the message
4. ``opt_out_phrase`` "stop texting me", "unsubscribe me", "no me escribas más", "baja"
5. ``rating``         a leading answer (1, 2, 3, keycaps, number words, x/3, 10/10, 5 stars,
                      exceeded/met/fell short, an emoji) and the comment after it; a number
                      with a unit ("3 hours", "$3", "3pm") is not an answer
6. ``words``          yes/no, idioms ("could have been better"), then outcome words anywhere,
                      with negation, typos and Spanish; a mixed text is unclear

Anything else, or anything contradictory ("1 2 3", "7/10", "good but slow"), is ``unclear``:
a person reads it. A wrong rating or a wrong opt-out is worse than ``unclear``.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shared.ratings import Outcome
from sms.settings import DEFAULT_TEXTS
from sms.words import fold, lexicon, reactions

__all__ = ["RULES", "Message", "Reply", "ReplyKind", "parse_reply"]


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


@dataclass(frozen=True, slots=True)
class Quote:
    """A quoted span: its text, whether it was cut short, and the words around it (``{q}`` marks it)."""

    text: str
    cut: bool
    outside: str


@dataclass(frozen=True, slots=True)
class Message:
    """A text prepared once for every rule: normalised, with its station code and any quote taken out."""

    raw: str
    text: str  # NFKC, keycaps and quotes simplified, station code removed, stripped
    lower: str
    opted_out: bool
    station_code: str
    quote: Quote | None = None
    questions: tuple[str, ...] = ()
    opt_out_type: str = ""


Rule = Callable[[Message], Reply | None]

# -- normalising -------------------------------------------------------------------

_STATION = re.compile(r"(?<![\w#])#([A-Za-z][A-Za-z0-9_-]{0,39})\b")
_KEYCAP = re.compile("([0-9])\ufe0f?\u20e3")
_INVISIBLE = re.compile("[\ufe0e\ufe0f\u200b-\u200d\u2060\ufeff\U0001f3fb-\U0001f3ff]")
_QUOTES = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "「": '"', "」": '"', "‘": "'", "’": "'", "‚": "'", "`": "'"}
)
# Opening quotation mark -> the marks that may close it (languages and apps pair them differently).
_PAIRS = {
    "“": '”“"',
    '"': '"”“',
    "«": "»",
    "»": "«",
    "„": '“”"',
    "‚": "‘’",
    "‘": "’‘",
    "「": "」",
    "『": "』",
    "‹": "›",
    "›": "‹",
    "”": "”",
    "〝": "〞〟",
    "'": "'’",
}
_SIGNATURE = re.compile(r"\s*(?:\bsent from my [\w -]{1,40}|\bget outlook for \w+)\s*$", re.IGNORECASE)
_ZWJ_SEQUENCE = re.compile("[^\\s\u200d][\ufe0f\U0001f3fb-\U0001f3ff]?(?:\u200d[^\\s\u200d][\ufe0f]?)+")


def _zwj_sequence(found: re.Match[str]) -> str:
    """One emoji made of several: 🤷‍♀️ is 🤷 and ❤️‍🔥 is ❤, but ❤️‍🩹 (mending) is neither ❤ nor 🩹."""
    first, *others = (part.strip("\ufe0f") for part in found.group().split("\u200d"))
    first = first.rstrip("\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
    if all(other in "♀♂⚧" or (other in EMOJI and EMOJI.get(first) is EMOJI[other]) for other in others):
        return first
    return "🫤"


_ELLIPSIS = re.compile(r"(?:…|\.\.\.)\s*$")


def _quote(text: str) -> Quote | None:
    """The first quoted span, to the last mark that closes it (or to the end, when cut off)."""
    starts = [
        index
        for index, char in enumerate(text)
        if char in _PAIRS and (char != "'" or index == 0 or text[index - 1].isspace())  # not "I'd"
    ]
    if not starts:
        return None
    start = starts[0]
    closers = _PAIRS[text[start]]
    end = max((index for index, char in enumerate(text) if char in closers and index > start), default=-1)
    if end == -1:
        inner, after, cut = text[start + 1 :], "", True
    else:
        inner, after, cut = text[start + 1 : end], text[end + 1 :], False
    if not inner.strip():
        return None
    cut = cut or bool(_ELLIPSIS.search(inner))
    return Quote(inner, cut, f"{text[:start]} {{q}} {after}")


def prepare(text: str, *, opted_out: bool = False, questions: Iterable[str] = (), opt_out_type: str = "") -> Message:
    raw = text if isinstance(text, str) else ""
    simple = unicodedata.normalize("NFKC", raw)
    simple = _KEYCAP.sub(r"\1", simple)
    simple = _ZWJ_SEQUENCE.sub(_zwj_sequence, simple)
    simple = _INVISIBLE.sub("", simple)
    simple = _SIGNATURE.sub("", simple)
    simple = _EMOTICON.sub(lambda found: _EMOTICONS[found.group().casefold()], simple)
    quote = _quote(simple)
    simple = simple.translate(_QUOTES)
    found = _STATION.search(quote.outside if quote else simple)
    station = found.group(1).lower() if found else ""
    simple = _STATION.sub(" ", simple) if not quote else simple
    simple = re.sub(r"\s+", " ", simple).strip()
    return Message(
        raw=raw,
        text=simple,
        lower=simple.casefold(),
        opted_out=opted_out,
        station_code=station,
        quote=quote,
        questions=tuple(question for question in questions if isinstance(question, str)),
        opt_out_type=opt_out_type.strip().upper() if isinstance(opt_out_type, str) else "",
    )


def _plain(text: str) -> str:
    """Folded, every mark and emoji a space: how keywords and phrases are compared."""
    return " ".join(re.sub(r"[^\w\s]|_", " ", fold(text)).split())


# -- 1. Twilio's OptOutType ----------------------------------------------------------


def opt_out_type(message: Message) -> Reply | None:
    """Twilio already matched the text against the account's (maybe custom) keywords: it wins."""
    kind = {"STOP": ReplyKind.OPT_OUT, "START": ReplyKind.OPT_IN, "HELP": ReplyKind.HELP}.get(message.opt_out_type)
    return Reply(kind) if kind else None


# -- 2. reactions ------------------------------------------------------------------

DEFAULT_QUESTIONS = (DEFAULT_TEXTS["question"], DEFAULT_TEXTS["reask"])
_QUESTION_LIKE = re.compile(
    r"did we meet|expectations?(?: today)?\s*\?|how (?:did we do|was your|would you rate)|rate (?:us|your)"
    r"|\b(?:visit|service|experience|satisf\w*|feedback)\b[^?]{0,40}\?"
    r"|\b1\b[^.!]{0,60}\b2\b[^.!]{0,60}\b3\b|\b1 ?(?:-|–|to) ?3\b"
)
_OURS_LIKE = re.compile(r"\b(?:reply|text|txt|send) stop\b|\bstop to (?:opt|unsubscribe|end|cancel)|\bopt.?out\b")


_BOILERPLATE = re.compile(
    r"\b(?:reply|text|txt|send) (?:stop|start|help) to (?:opt (?:out|back in)|unsubscribe|cancel)\b"
)


@functools.lru_cache(maxsize=64)
def _words_of(text: str) -> tuple[str, ...]:
    """The words of one of our texts, without the opt-out line every text ends with."""
    plain = " ".join(re.findall(r"\w+", fold(text.replace("{business}", " "))))
    return tuple(_BOILERPLATE.sub(" ", plain).split())


def _is_our_question(quote: Quote, questions: tuple[str, ...]) -> bool:
    """The quote is one of our questions: a long enough run of its words, or what a rating question says."""
    words = list(_words_of(quote.text))
    if quote.cut and words:
        words.pop()  # "…if we fe…": the last word may be cut
    for question in (*questions, *DEFAULT_QUESTIONS):
        template = _words_of(question)
        match = difflib.SequenceMatcher(None, words, template, autojunk=False).find_longest_match()
        if match.size >= 5 or (match.size >= 2 and match.size >= len(words) - 4):
            return True
    return bool(_QUESTION_LIKE.search(fold(quote.text)))


def _emoji_outcome(chars: str) -> Outcome | None:
    outcomes = {EMOJI[char] for char in chars if char in EMOJI}
    return outcomes.pop() if len(outcomes) == 1 and not any(char in NEUTRAL_EMOJI for char in chars) else None


def _tapback(outside: str) -> tuple[bool, Outcome | None, bool]:
    """(is a tapback, its outcome, taken back) from the words around the quote."""
    table = reactions()
    shape = " ".join(
        re.sub(r"[^\w\s{}]", lambda found: found.group() if _is_emoji(found.group()) else " ", fold(outside)).split()
    )
    verb = shape.removesuffix(" {q}").removesuffix("{q}").strip()
    for candidate in (shape, verb):
        if candidate in table.verbs:
            return True, table.verbs[candidate], False
        if candidate in table.removed:
            return True, None, True
    if any(verb == start or verb.startswith(start + " ") for start in table.removal_starts):
        return True, None, True
    emoji = "".join(char for char in verb if _is_emoji(char))
    if emoji:
        template = " ".join(re.sub(r"[^\w\s{}]+", " {e} ", verb).split())
        template = re.sub(r"(?:\{e\} ?)+", "{e} ", template).strip()
        if template in table.emoji_templates or template.replace(" {q}", "") in table.emoji_templates:
            return True, _emoji_outcome(emoji), False
    return False, None, False


def _is_emoji(char: str) -> bool:
    return any(unicodedata.category(one) == "So" for one in char)


def reaction(message: Message) -> Reply | None:
    """A tapback quotes our text, digits and "Reply STOP" and all: read what is outside, never the quote."""
    quote = message.quote
    if quote is None:
        return _media_reaction(message)
    is_tapback, outcome, removed = _tapback(quote.outside)
    ours = _is_our_question(quote, message.questions)
    if not is_tapback and not ours and not _OURS_LIKE.search(fold(quote.text)):
        return None
    if is_tapback and outcome is not None and ours and not removed:
        return Reply(ReplyKind.RATING, outcome, rule="reaction", is_reaction=True)
    return Reply(ReplyKind.UNCLEAR, rule="reaction", is_reaction=True, removed=removed)


def _media_reaction(message: Message) -> Reply | None:
    """``Liked an image``, ``Le gustó una imagen``: a tapback on something that is not our question."""
    plain = " ".join(
        re.sub(r"[^\w\s]", lambda found: found.group() if _is_emoji(found.group()) else " ", fold(message.text)).split()
    )
    for noun in reactions().media:
        if plain.endswith(" " + noun) and _tapback(plain.removesuffix(noun))[0]:
            return Reply(ReplyKind.UNCLEAR, rule="reaction", is_reaction=True)
    return None


# -- 3. keywords -------------------------------------------------------------------


def keyword(message: Message) -> Reply | None:
    """Twilio's own keywords, alone: "Stop.", "STOP!!", "stop 🛑", "opt-out", "stop all"."""
    words = _plain(message.text)
    compact = words.replace(" ", "")
    known = lexicon()
    if compact in known.opt_out_keywords:
        return Reply(ReplyKind.OPT_OUT)
    if message.opted_out and words in known.opt_in_when_opted_out:
        return Reply(ReplyKind.OPT_IN)
    if compact in known.opt_in_keywords:
        return Reply(ReplyKind.OPT_IN)
    if compact in known.help_keywords:
        return Reply(ReplyKind.HELP)
    return None


# -- 4. opt-out phrasing -----------------------------------------------------------


def opt_out_phrase(message: Message) -> Reply | None:
    """Plain opt-out wording; never "Reply STOP to opt out" quoted back, nor "wouldn't stop talking"."""
    plain = _plain(message.text)
    known = lexicon()
    if any(pattern.search(plain) for pattern in known.not_opt_out):
        return None
    if any(pattern.search(plain) for pattern in known.opt_out_phrases):
        return Reply(ReplyKind.OPT_OUT)
    return None


# -- 5. a leading rating and its comment --------------------------------------------

EMOJI: dict[str, Outcome] = {
    **dict.fromkeys("👍👌🙂😊☺✅🆗", Outcome.MET),
    **dict.fromkeys("👎😡😠🤬😞😟☹🙁😢😭💩😒😤😩😫🤮🤢❌😣😖💔🐌😴", Outcome.BELOW),
    **dict.fromkeys("🤩😍🥰❤♥💖💕💗💓💞💯🔥🙌🏆🥳🎉💪😻", Outcome.EXCEEDED),
}
NEUTRAL_EMOJI = frozenset("😐😑😶🤔🤷😂🤣😅😆😬🙃😏❓❔‼❗🙏👋🤨😕😮😯🫤")
STARS = frozenset("⭐🌟")
_EMOTICONS = {
    ":)": "🙂",
    ":-)": "🙂",
    "(:": "🙂",
    ":d": "🤩",
    ":-d": "🤩",
    "<3": "❤",
    ":(": "🙁",
    ":-(": "🙁",
    ":/": "😕",
}
_EMOTICON = re.compile(r"(?<!\S)(?:" + "|".join(re.escape(face) for face in _EMOTICONS) + r")(?!\S)", re.IGNORECASE)
NUMBERS = {1: Outcome.BELOW, 2: Outcome.MET, 3: Outcome.EXCEEDED}
LABELS: dict[str, Outcome] = {
    "exceeded": Outcome.EXCEEDED,
    "exceed": Outcome.EXCEEDED,
    "exceeds": Outcome.EXCEEDED,
    "exceeded expectations": Outcome.EXCEEDED,
    "above and beyond": Outcome.EXCEEDED,
    "met": Outcome.MET,
    "met expectations": Outcome.MET,
    "below": Outcome.BELOW,
    "below expectations": Outcome.BELOW,
    "fell short": Outcome.BELOW,
    "fall short": Outcome.BELOW,
    "falls short": Outcome.BELOW,
}
_PREFIX = re.compile(
    r"^\W*(?:(?:my\s+)?(?:rating|rate|answer|score|vote|reply)(?:\s+is)?|i(?:'?d|\s+would)?\s+(?:say|give\s+(?:it|you|u|ya)|rate\s+(?:it|you|u))"
    r"|id\s+(?:say|give\s+(?:it|you|u))|i\s+(?:choose|pick|vote)|option|number|no\.|num|nr\.?|#)\W*(?:an?\s+)?(?=\w|[⭐🌟])"
    r"|^\W*an?\s+(?=\d|one\b|two\b|three\b|uno\b|dos\b|tres\b)",
    re.IGNORECASE,
)
_SCALE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:/|out\s+of|outta|of|de|sur|von|su)\s*(\d+)(?![\d:])", re.IGNORECASE)
_STAR_WORDS = re.compile(
    r"^(\w+)[\s-]*(?:stars?|estrellas?|étoiles?|sterne?|stelle|estrelas?|[⭐🌟]+)(?!\w)", re.IGNORECASE
)
_PERCENT = re.compile(r"^(\d+)\s*%")
_NUMBER = re.compile(r"^(\d+)(?P<rest>.*)$", re.DOTALL)
_LABEL_LEAD = re.compile(
    "^(?P<lead>"
    + "|".join(sorted((re.escape(label) for label in LABELS), key=len, reverse=True))
    + r"|[^\W\d_]+)(?!\w)(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_CURRENCY = "$£€¥₹"
_SEPARATORS = " \t\n-–—:;.,!?)]}*~=>/|\\'\""


def _scale_outcome(number: float, top: float) -> Outcome | None:
    """On a stated scale only the ends are sure: 10/10 exceeded, 0/10 and 1/5 fell short; x/3 is the answer x."""
    if top == 3 and number in NUMBERS:
        return NUMBERS[int(number)]
    if top < 3:
        return None
    if number >= top:
        return Outcome.EXCEEDED
    if number == 0 or (number == 1 and top >= 5):
        return Outcome.BELOW
    return None


def _rated(outcome: Outcome | None, rest: str, *, strict: bool = False, strict_words: bool = False) -> Reply:
    """The answer, unless what follows contradicts it: then a person reads it.

    After a number only the direction must agree ("3 👍", "1 😡 slow"); after a label the words
    must say the same ("met and exceeded" is unclear); after an emoji, which says less, the emoji
    and the words too ("👍 great" is unclear, "👍 thanks" met).
    """
    unclear = Reply(ReplyKind.UNCLEAR, rule="rating")
    if outcome is None:
        return unclear
    comment = rest.strip(_SEPARATORS + " ").strip()
    # The comment may start by repeating the answer ("3 exceeded", "1 - fell short", "3 👍").
    while (echoed := _echo(comment)) is not None:
        echo_outcome, after, is_emoji = echoed
        # after a number an emoji need only agree in direction, and a neutral one says nothing ("1 :/", "3 😂")
        loose = is_emoji and not strict and (echo_outcome is None or _agree(echo_outcome, outcome))
        if echo_outcome is not outcome and not loose:
            return unclear  # "1 2 3", "1 or 3", "1 exceeded", "1 👍"
        comment = after
    for number in re.finditer(r"(?<![\w.,:/])\d+(?P<rest>.*)", comment, re.DOTALL):
        if not _is_quantity(number.group("rest")):
            return unclear  # "2 maybe 3", "1 then 2"
    said = read_words(comment) if comment else Reading()
    if said.unclear:
        return unclear  # "2 kind of", "3 not sure"
    for other, weak in said.signals:
        if other is not outcome and not weak and (strict or strict_words or not _agree(other, outcome)):
            return unclear  # "1 great service" (a scale read upside down), "👍 great", "3 but terrible"
    return Reply(ReplyKind.RATING, outcome, comment=comment, rule="rating")


def _agree(first: Outcome, second: Outcome) -> bool:
    return first.is_unmet == second.is_unmet


def _is_quantity(rest: str) -> bool:
    """What follows a number makes it an amount: "3 hours", "3pm", "2nd", "$3", "1:30", "3 people"."""
    if re.match(rf"^\s*[{_CURRENCY}%]|^[:h]\d|^[.,]\d|^\s*[x×](?!\w)", rest, re.IGNORECASE):
        return True
    found = re.match(r"^\s*([^\W\d_]+(?:\.[a-z])?)", rest, re.IGNORECASE)
    if not found:
        return False
    word = fold(found.group(1))
    known = lexicon()
    if any(fold(rest).strip().startswith(phrase) for phrase in known.phrases):
        return False  # "3 of course"
    if word in known.units:
        return True
    listed = word in known.words or word in known.fillers or word in known.positive or word in LABELS
    # "3 coffees", "2 cashiers": a plural that is no answer word is something counted
    return len(word) >= 4 and word.endswith("s") and not listed and word not in ("thanks", "was", "is", "has", "yes")


def _says_nothing_after(rest: str) -> bool:
    """A number run straight into a word we do not know, with no opinion after it, may be a count."""
    found = re.match(r"^ +([A-Za-z\u00c0-\u024f]+)(?!\w)", rest)  # Latin script: other scripts are comments
    if not found:
        return False
    word = _known(fold(found.group(1)))
    reading = read_words(rest)
    return word is None and found.group(1).casefold() not in LABELS and not reading.signals and not reading.positive


def rating(message: Message) -> Reply | None:
    """``3``, ``(1) slow``, ``I'd say 2``, ``2/3``, ``10/10``, ``5 stars``, ``exceeded - great``, ``👍 thanks``."""
    text = message.text
    if re.match(rf"^\s*[{_CURRENCY}]|^\s*-\s*\d", text):
        return None  # "$3", "-1"
    text = _PREFIX.sub("", text.lstrip("([{*'\" "), count=1).strip()
    stars = len(text) - len(text.lstrip("⭐🌟"))
    if stars:
        return _rated(Outcome.EXCEEDED if stars >= 5 else None, text[stars:])
    if found := _SCALE.match(text):
        number, top = float(found.group(1).replace(",", ".")), float(found.group(2))
        return _rated(_scale_outcome(number, top), text[found.end() :])
    if found := _STAR_WORDS.match(text):
        word = fold(found.group(1))
        count = int(word) if word.isdigit() else lexicon().scale_words.get(word, lexicon().numbers.get(word))
        if count is None:
            return None
        return _rated(Outcome.EXCEEDED if count >= 5 else Outcome.BELOW if count <= 1 else None, text[found.end() :])
    if found := _PERCENT.match(text):
        percent = int(found.group(1))
        return _rated(
            Outcome.EXCEEDED if percent >= 100 else Outcome.BELOW if percent == 0 else None, text[found.end() :]
        )
    if text and (text[0] in EMOJI or text[0] in NEUTRAL_EMOJI):
        return _rated(EMOJI.get(text[0]), text[1:], strict=True)
    if found := _NUMBER.match(text):
        rest = found.group("rest")
        if re.match(r"^[.,]\d(?!\d*\s*[%:])", rest):
            return Reply(ReplyKind.UNCLEAR, rule="rating")  # "3.5"
        if _is_quantity(rest):
            return None  # read for words: "3 hours wait, terrible"
        number = int(found.group(1)) if len(found.group(1)) < 6 else 0
        if _says_nothing_after(rest):
            return Reply(ReplyKind.UNCLEAR, rule="rating")  # "1 guy at the register": a count or an answer?
        return _rated(NUMBERS.get(number), rest)
    found = _LABEL_LEAD.match(text)
    if not found:
        return None
    lead, rest = fold(found.group("lead")), found.group("rest")
    if lead in lexicon().numbers:
        if rest.strip() and not re.match(r"\s*[-–—:;.,!)]|\s*$", rest) and not _is_emoji(rest.strip()[0]):
            return None  # "one of your staff was rude" is not an answer "1"
        return _rated(NUMBERS.get(lexicon().numbers[lead]), rest)
    outcome = LABELS.get(lead) or LABELS.get(_fuzzy(lead, LABELS, shortest=5) or "")
    if outcome is None:
        return None
    if rest.lstrip().startswith("?") and rest.strip("? "):
        return Reply(ReplyKind.UNCLEAR, rule="rating")  # "Exceeded? Hardly."
    return _rated(outcome, rest, strict_words=True)  # "met and exceeded" is unclear, "exceeded 👍" is not


def _echo(comment: str) -> tuple[Outcome | None, str, bool] | None:
    """If ``comment`` starts with another answer: its outcome (None: unknown), the rest, and whether an emoji."""
    if not comment:
        return None
    if comment[0] in EMOJI or comment[0] in NEUTRAL_EMOJI:
        return EMOJI.get(comment[0]), comment[1:].strip(_SEPARATORS).strip(), True
    found = re.match(r"^(?:(?:or|and|to|then|&|o|y)\s+)?(\d+|[^\W\d_]+)(?!\w)(.*)$", comment, re.IGNORECASE | re.DOTALL)
    if found:
        word = fold(found.group(1))
        if word.isdigit() and not _is_quantity(found.group(2)):
            return NUMBERS.get(int(word) if len(word) < 6 else 0), found.group(2).strip(_SEPARATORS).strip(), False
        if word in lexicon().numbers and not found.group(2).strip(_SEPARATORS):
            return NUMBERS.get(lexicon().numbers[word]), "", False
    for label in sorted(LABELS, key=len, reverse=True):
        if re.match(rf"^{re.escape(label)}(?!\w)", comment, re.IGNORECASE):
            return LABELS[label], comment[len(label) :].strip(_SEPARATORS).strip(), False
    return None


# -- 6. words anywhere ---------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")
_WEAK = frozenset({"ok", "okay", "alright", "yes"})


@functools.cache
def _phrases() -> tuple[tuple[re.Pattern[str], Outcome], ...]:
    ordered = sorted(lexicon().phrases.items(), key=lambda item: len(item[0]), reverse=True)
    return tuple((re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)"), outcome) for phrase, outcome in ordered)


@functools.cache
def _unclear_phrases() -> re.Pattern[str]:
    words = sorted(lexicon().unclear, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)")


@functools.lru_cache(maxsize=8192)
def _known(token: str) -> str | None:
    """The listed word a token stands for: itself, an alias, without elongation ("sooo"), or a close typo."""
    known = lexicon()
    vocabulary = (known.words, known.yes, known.no, known.positive, known.fillers, known.topics, known.negators)
    for candidate in (
        token,
        known.aliases.get(token, ""),
        re.sub(r"(\w)\1{2,}", r"\1\1", token),
        re.sub(r"(\w)\1{2,}", r"\1", token),
        re.sub(r"(\w)\1+", r"\1", token),
    ):
        candidate = known.aliases.get(candidate, candidate)
        if candidate and any(candidate in group for group in vocabulary):
            return candidate
    return _fuzzy(token, known.words)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the words of a text say: each outcome met with (``weak``: a plain yes or ok), and the rest."""

    signals: tuple[tuple[Outcome, bool], ...] = ()
    positive: bool = False  # mild praise ("friendly"): agrees with met or exceeded, never decides
    only_signals: bool = True  # nothing else was said: no comment to keep
    unclear: bool = False  # "so so", "kind of", "no thanks": a person must read it

    def outcome(self) -> Outcome | None:
        """One outcome, or None (nothing said, or said both ways)."""
        outcomes = {outcome for outcome, _ in self.signals}
        if outcomes == {Outcome.MET, Outcome.EXCEEDED} and all(
            weak for outcome, weak in self.signals if outcome is Outcome.MET
        ):
            return Outcome.EXCEEDED  # "Yes!! Amazing", "no complaints, it was great"
        if self.unclear or len(outcomes) != 1 or (self.positive and outcomes == {Outcome.BELOW}):
            return None
        return next(iter(outcomes))


_QUESTION = re.compile(
    r"(?:^|[.!?]\s*)(?:is|are|am|was|were|can|could|do|does|did|will|would|should|may|what|whats|when|where|why|how|who"
    r"|whos|which)\b[^.!?]*\?"
)


def read_words(text: str) -> Reading:
    """Yes/no, idioms, then every outcome word with negation applied, emoji and emoticons too."""
    known = lexicon()
    text = fold(text)
    if _QUESTION.search(text):
        return Reading(unclear=True, only_signals=False)  # "Is it ok to bring my dog?": a person answers it
    for pattern, replacement in known.rewrites:
        text = pattern.sub(replacement, text)
    for phrase in known.neutral:
        text = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", " , ", text)
    signals: list[tuple[Outcome, bool]] = []  # (outcome, weak)
    for pattern, outcome in _phrases():
        if pattern.search(text):
            signals.append((outcome, outcome is Outcome.MET))
            text = pattern.sub(" , ", text)
    if _unclear_phrases().search(text):
        return Reading(unclear=True, only_signals=False)
    tokens = _TOKEN.findall(text)
    positive = False
    only_signals = True
    trailing: Outcome | None = None
    content = False  # a word we do not know, or a topic
    clause_start = 0
    meaningful = 0
    for index, token in enumerate(tokens):
        if not token[0].isalnum():
            if token in EMOJI:
                signals.append((EMOJI[token], EMOJI[token] is Outcome.MET))  # "great 🙂" is great
            elif token in NEUTRAL_EMOJI or token in STARS:
                return Reading(unclear=True, only_signals=False)
            if token in ",.;:!?-–—()" or _is_emoji(token):
                clause_start = index + 1
            continue
        if token.isdigit():
            only_signals = False
            last = all(not other[0].isalnum() for other in tokens[index + 1 :])
            if last and sum(other.isdigit() for other in tokens) == 1 and int(token) in NUMBERS and meaningful:
                trailing = NUMBERS[int(token)]  # "Great service from Ana. 3": it confirms or contradicts the words
                if any(_known(other) in known.negators for other in tokens[max(clause_start, index - 3) : index]):
                    return Reading(unclear=True, only_signals=False)  # "not 3"
            continue
        if token == "too" and index + 1 < len(tokens) and tokens[index + 1][0].isalpha():
            if _known(tokens[index + 1]) not in known.words:
                signals.append((Outcome.BELOW, False))  # "too loud", "too expensive"; "too good" is read as good
            continue
        if token in ("but", "until", "though", "although", "except", "pero"):
            clause_start = index + 1
            only_signals = False
            continue
        word = _known(token)
        first = meaningful == 0
        meaningful += 1
        if word is None:
            only_signals, content = False, True
            continue
        window = tokens[max(clause_start, index - 3) : index]
        negated = any(_known(other) in known.negators for other in window if other[0].isalnum())
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        alone = not following[:1].isalnum() or following.isdigit()  # "No.", "Sadly no", "yes, thanks", "no 1"
        single = len(word) > 1 or sum(other[0].isalnum() for other in tokens) == 1  # "y" alone; "x.y" is no yes
        denied = _known(following) in known.negators  # "Sure didn't"
        if word in known.yes and (first or alone) and single and not denied:
            signals.append((Outcome.MET, True))  # "will definitely come back" is no "yes"
        elif word in known.no and (alone or (first and following in known.starters)) and single:
            signals.append((Outcome.BELOW, False))  # "No", "nah 😡", "Sadly no", "no they didn't"
            clause_start = index + 1  # "no it was bad": a new sentence; "no good", "no estuvo bien" negate
        elif word in known.words:
            outcome = known.words[word]
            if negated:
                outcome = Outcome.MET if outcome is Outcome.BELOW else Outcome.BELOW
            signals.append((outcome, word in _WEAK))
        elif word in known.positive:
            if negated:
                signals.append((Outcome.BELOW, False))
            else:
                positive = True
        elif word in known.topics or (
            word not in known.fillers and word not in known.negators and word not in known.no
        ):
            only_signals, content = False, True  # "The staff were fantastic" is kept as the comment
    if trailing is not None and (signals or not content):  # "Feedback 3" yes, "stop 3" no
        signals.append((trailing, False))
    return Reading(tuple(signals), positive, only_signals)


def words(message: Message) -> Reply | None:
    """Yes/no, idioms and outcome words anywhere: one outcome, or unclear when they disagree."""
    reading = read_words(message.text)
    if not reading.signals and not reading.unclear:
        return None
    outcome = reading.outcome()
    if outcome is None:
        return Reply(ReplyKind.UNCLEAR, rule="words")
    return Reply(ReplyKind.RATING, outcome, comment="" if reading.only_signals else message.text, rule="words")


def _fuzzy(word: str, vocabulary: Iterable[str], *, shortest: int = 7) -> str | None:
    """A close typo (``exceded``, ``amazng``, ``dissapointed``) of a listed word of ``shortest`` letters or more.

    Six letters or more, the same first letter, one slip once doubled letters are single: "waiter",
    "unsatisfied" or "appointment" are other words, not typos of "waited", "satisfied", "disappointment".
    """
    if len(word) < 6 or not word.isalpha():
        return None
    single = _single(word)
    for known in vocabulary:
        if len(known) < shortest or known[0] != word[0] or " " in known or abs(len(known) - len(word)) > 2:
            continue
        if _typo_distance(single, _single(known), 1) <= 1:
            return known
    return None


def _single(word: str) -> str:
    return re.sub(r"(\w)\1+", r"\1", word)


def _typo_distance(first: str, second: str, limit: int) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from one word to the other, up to ``limit + 1``."""
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        current = [i] + [0] * len(second)
        for j, b in enumerate(second, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


RULES: tuple[tuple[str, Rule], ...] = (
    ("opt_out_type", opt_out_type),
    ("reaction", reaction),
    ("keyword", keyword),
    ("opt_out_phrase", opt_out_phrase),
    ("rating", rating),
    ("words", words),
)


def parse_reply(text: str, *, opted_out: bool = False, questions: Iterable[str] = (), opt_out_type: str = "") -> Reply:
    """Read one text.

    ``opted_out`` lets a plain YES opt the number back in; ``questions`` are every wording our
    question has had (a reaction quoting one is an answer); ``opt_out_type`` is Twilio's
    ``OptOutType`` parameter, which wins over the text.
    """
    message = prepare(text, opted_out=opted_out, questions=questions, opt_out_type=opt_out_type)
    for name, rule in RULES:
        reply = rule(message)
        if reply is not None:
            return Reply(
                reply.kind,
                reply.outcome,
                reply.comment[:1000],
                reply.rule or name,
                message.station_code,
                reply.is_reaction,
                reply.removed,
            )
    return Reply(ReplyKind.UNCLEAR, rule="none", station_code=message.station_code)
