"""Every word a customer reads comes from ``[kiosk.texts]`` (or the reasons and staff lists), so the
README's French example leaves no English on any screen, and hostile texts show as typed."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from textual.widgets import Input

from kiosk.app import KioskApp
from kiosk.screens.idle import IdleScreen
from kiosk.screens.manager_now import ManagerNowScreen
from kiosk.screens.phone import PhoneScreen
from kiosk.screens.pin_entry import PinScreen
from kiosk.screens.reasons import ReasonsScreen
from kiosk.screens.shoutout import ShoutoutScreen
from kiosk.screens.thanks import ThanksScreen
from kiosk.settings import DEFAULT_REASONS, Texts, load_kiosk_settings
from shared.config import load_config

from .conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
SIZE = (100, 30)


def visible(app: KioskApp) -> str:
    """The characters on the terminal, row by row."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def every_screen(app: KioskApp) -> list[str]:
    """Walk a kiosk without a staff PIN through every screen a customer can see; what each showed.

    Needs a staff list (for "who made your day?") and an SMS number (for the QR caption).
    """
    seen: list[str] = []
    async with app.run_test(size=SIZE) as pilot:

        async def at(screen: type, *keys: str) -> None:
            await pilot.press(*keys)
            await wait_for(pilot, lambda: isinstance(app.screen, screen), timeout=2)
            await pilot.pause()
            seen.append(visible(app))

        await at(IdleScreen)
        await at(PinScreen, "f12")
        await at(IdleScreen, "enter")
        await at(ReasonsScreen, "1")
        await at(ReasonsScreen, "1")  # a chip ticked
        await at(ManagerNowScreen, "enter")
        await at(PhoneScreen, "1")
        await at(PhoneScreen, "1", "2", "enter")  # not a number
        app.screen.query_one("#number", Input).value = ""
        await at(PhoneScreen, *"4155550134", "enter")  # no consent
        await pilot.click("#consent")
        await pilot.click("#send")
        await at(ThanksScreen)  # below, manager, call back
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        await at(ShoutoutScreen, "3")
        await at(ThanksScreen, "1")
        await wait_for(pilot, lambda: isinstance(app.screen, IdleScreen))
        await at(ThanksScreen, "2")
    return seen


def shows(text: str, screen: str) -> bool:
    """``text`` is on ``screen`` as whole words, even when wrapped onto the next rows."""
    words = r"\s+".join(re.escape(word) for word in text.split())
    return re.search(rf"(?<!\w){words}(?!\w)", screen) is not None


def readme_example(tmp_path: Path) -> Path:
    """The README's translated ``[kiosk]`` example, written to a file as a shop would."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Kiosk\n", 1)[1].split("\n## ", 1)[0]
    [example] = [block for block in re.findall(r"```toml\n(.*?)```", section, re.DOTALL) if "[kiosk.texts]" in block]
    path = tmp_path / "feedback.toml"
    path.write_text(example, encoding="utf-8")
    return path


async def test_the_readmes_french_example_leaves_no_english_on_any_screen(tmp_path, clock):
    config = load_config(readme_example(tmp_path), data_dir=tmp_path / "data", environ={})
    settings = dataclasses.replace(load_kiosk_settings(config), thanks_seconds=0.6)
    english = [getattr(Texts(), field.name) for field in dataclasses.fields(Texts)] + list(DEFAULT_REASONS.values())
    pieces = {piece.strip() for text in english for piece in re.split(r"\{\w+\}", text) if len(piece.strip()) > 1}

    seen = await every_screen(KioskApp(config, settings=settings, clock=clock))

    for screen in seen:
        left = [piece for piece in pieces if shows(piece, screen)]
        assert not left, f"English left on a screen: {left}\n{screen}"
    everything = "\n".join(seen)
    texts = settings.texts
    for name in ("question", "hint", "qr_caption", "shoutout_title", "skip", "setup_note", "phone_consent"):
        assert shows(getattr(texts, name), everything), name


async def test_no_word_on_a_customer_screen_is_hard_coded(make_config, clock):
    """Every text set to a mark without letters: no letter is left on any screen."""
    marks = {field.name: f"〈{number}〉" for number, field in enumerate(dataclasses.fields(Texts))}
    marks["thanks_shoutout"] += "{name}"
    marks["qr_body"] += "#{code}"
    config = make_config(
        texts=marks,
        reasons={key: f"〈{100 + number}〉" for number, key in enumerate(DEFAULT_REASONS)},
        staff=["〈1〉", "〈2〉"],
        sms_number="+14155550134",
    )
    settings = dataclasses.replace(load_kiosk_settings(config), thanks_seconds=0.6)

    seen = await every_screen(KioskApp(config, settings=settings, clock=clock))

    for screen in seen:
        assert not re.search(r"[A-Za-z]", screen), screen
    assert all(mark.split("{")[0] in "\n".join(seen) for name, mark in marks.items() if name != "qr_body")


async def test_hostile_texts_show_as_typed(make_config, clock):
    hostile = "[@click=app.quit]Tap[/] [bold]me[/bold] [link=https://evil.example]x[/link]"
    config = make_config(
        texts={"question": hostile, "hint": "[/x]", "skip": "[red]", "reasons_title": hostile},
        reasons={"a": "[b]A[/b]", "b": "[/"},
        staff=["[i]Ana"],
        sms_number="+14155550134",
    )
    app = KioskApp(config, settings=load_kiosk_settings(config), clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen is app.idle)
        await pilot.pause()
        assert hostile in visible(app) and "[/x]" in visible(app)
        await pilot.click("#question")
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
        await pilot.pause()
        screen = visible(app)
        assert hostile in screen and "[b]A[/b]" in screen and "[red]" in screen and "[/ [2]" in screen
        assert app.is_running
