"""``feedback qr`` posters as a shop prints them: read back as SVG, as pixels and with a real QR decoder."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from sms_helpers import SHOP_NUMBER

from feedback.cli import main
from sms import poster
from sms.poster import DPI, MARGIN, printable, width_mm
from sms.qr import poster_link

LINK = "sms:+15005550006?&body=Feedback%20%23front-desk"
SVG = "{http://www.w3.org/2000/svg}"
NUMBER_AS_WRITTEN = "(500)\xa0555-0006"  # national style, never split over two lines
PAGES = {"a5": ((148, 210), (1748, 2480)), "a4": ((210, 297), (2480, 3508)), "letter": ((215.9, 279.4), (2550, 3300))}


@dataclass(frozen=True)
class Block:
    """One block of words read back from the SVG: its lines, font size and baselines (mm)."""

    lines: tuple[str, ...]
    size: float
    baselines: tuple[float, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def make_poster(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    station: str = "Front desk",
    config: str = "",
    business: str = "Corner Cafe",
) -> tuple[int, str, str]:
    """Run ``feedback qr`` as the shop owner does, with a config file of its own."""
    path = tmp_path / "feedback.toml"
    path.write_text(f"business_name = {json.dumps(business, ensure_ascii=False)}\n{config}", encoding="utf-8")
    command = ["qr", "--station", station, "--number", SHOP_NUMBER, *args]
    code = main([*command, "--config", str(path), "--data", str(tmp_path / "data")])
    out, err = capsys.readouterr()
    return code, out, err


def read_svg(path: Path) -> tuple[ElementTree.Element, dict[str, Block]]:
    root = ElementTree.parse(path).getroot()
    blocks = {}
    for text in root.iter(f"{SVG}text"):
        spans = text.findall(f"{SVG}tspan")
        blocks[text.get("class", "")] = Block(
            tuple(span.text or "" for span in spans),
            float(text.get("font-size", "0")),
            tuple(float(span.get("y", "0")) for span in spans),
        )
    return root, blocks


def decode(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image)]


def inked(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    low, _ = image.crop(box).getextrema()
    return low < 128


@pytest.mark.parametrize("size", PAGES)
def test_svg_poster_has_the_words_and_the_page_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], size: str
) -> None:
    poster = tmp_path / "front-desk.svg"
    code, out, _ = make_poster(tmp_path, capsys, "--output", str(poster), "--size", size)
    assert code == 0 and LINK in out
    root, blocks = read_svg(poster)
    (width, height), _ = PAGES[size]
    assert (root.get("width"), root.get("height")) == (f"{width:g}mm", f"{height:g}mm")
    assert root.get("viewBox") == f"0 0 {width:g} {height:g}"
    assert blocks["business"].text == "Corner Cafe"
    assert blocks["question"].text == "Did we meet your expectations?"
    assert blocks["station"].text == "Front desk"
    assert blocks["instruction"].text == f"Scan the code, or text #front-desk to {NUMBER_AS_WRITTEN}"
    assert root.find(f"{SVG}path") is not None
    tops = [block.baselines[0] for block in blocks.values()]
    assert tops == sorted(tops) and all(0 < top < height for top in tops)


@pytest.mark.parametrize("size", PAGES)
def test_png_poster_scans_to_the_station_link_at_300_dpi(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], size: str
) -> None:
    png, svg = tmp_path / "poster.png", tmp_path / "poster.svg"
    assert make_poster(tmp_path, capsys, "--output", str(png), "--size", size)[0] == 0
    assert make_poster(tmp_path, capsys, "--output", str(svg), "--size", size)[0] == 0
    image = Image.open(png)
    assert image.size == PAGES[size][1]
    assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.01)
    assert decode(image) == [LINK]
    scale = DPI / 25.4
    for name, block in read_svg(svg)[1].items():  # the words are drawn where the SVG puts them
        for baseline in block.baselines:
            band = (0, round((baseline - block.size * 0.7) * scale), image.width, round(baseline * scale))
            assert inked(image.convert("L"), band), name


def test_the_svg_code_scans_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "poster.svg"
    assert make_poster(tmp_path, capsys, "--output", str(svg))[0] == 0
    path = read_svg(svg)[0].find(f"{SVG}path")
    assert path is not None
    scale = 4  # px per mm: draw the path's rectangles as a printer would
    image = Image.new("L", (148 * scale, 210 * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w, h in re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+z", path.get("d", "")):
        left, top = float(x) * scale, float(y) * scale
        draw.rectangle((left, top, left + float(w) * scale - 1, top + float(h) * scale - 1), fill=0)
    assert decode(image) == [LINK]


def test_a_french_shop_gets_a_french_poster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = (
        'phone_region = "FR"\n[sms.texts]\n'
        'poster_question = "Avons-nous été à la hauteur de vos attentes ?"\n'
        'poster_station = "Caisse : {station}"\n'
        'poster_instruction = "Scannez le code, ou envoyez {code} au {number}"\n'
    )
    svg, png = tmp_path / "affiche.svg", tmp_path / "affiche.png"
    for output in (svg, png):
        code, _, err = make_poster(
            tmp_path, capsys, "--output", str(output), station="Accueil", config=texts, business="Boulangerie Élise"
        )
        assert code == 0, err
    _, blocks = read_svg(svg)
    assert blocks["business"].text == "Boulangerie Élise"
    assert blocks["question"].text == "Avons-nous été à la hauteur de vos attentes ?"
    assert blocks["station"].text == "Caisse : Accueil"
    assert blocks["instruction"].text == "Scannez le code, ou envoyez #accueil au +1\xa0500-555-0006"
    assert decode(Image.open(png)) == ["sms:+15005550006?&body=Feedback%20%23accueil"]


HOSTILE = [
    "<script>alert('x')</script>",
    'Tom & Jerry\'s "Deli" ]]> <!-- --> &amp;',
    "[bold]Till[/bold] [@click=app.quit]",
    "مكتب الاستقبال الرئيسي",
    "\u202eksed tnorF",
    "Caisse 🍕 👩‍👩‍👧 ✨",
    "W" * 500,
    "Front desk " * 45 + "end",
    "Till\x00\x1b[31m\x07 2\ttab\nnewline\ufffe",
    "=cmd|' /C calc'!A0",
    "{business} {0} {station!r} %s",
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("size", ["a5", "letter"])
def test_hostile_names_make_a_valid_poster_that_stays_on_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str, size: str
) -> None:
    """Whatever a shop types as its name or a station's, the SVG parses and nothing leaves the page."""
    station = f"Till 2 {hostile}"
    svg, png = tmp_path / "poster.svg", tmp_path / "poster.png"
    for output in (svg, png):
        code, out, err = make_poster(
            tmp_path, capsys, "--output", str(output), "--size", size, station=station, business=hostile
        )
        assert code == 0, err
        assert poster_link(SHOP_NUMBER, station) in out
    root, blocks = read_svg(svg)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags == {"svg", "title", "rect", "path", "text", "tspan"}
    for name, typed in (("business", hostile), ("station", station)):  # all of it, or the start of it and "…"
        shown, kept = blocks[name].text.replace(" ", ""), printable(typed).replace(" ", "")
        assert shown == kept or (shown.endswith("…") and kept.startswith(shown[:-1]))
    (width, height), pixels = PAGES[size]
    scale = min(width / 148, height / 210)
    for name, block in blocks.items():
        bold = name in ("question", "station")
        assert all(width_mm(line, block.size, bold) <= width - 2 * MARGIN * scale for line in block.lines)
    image = Image.open(png).convert("L")
    assert image.size == pixels
    edge = round(MARGIN * scale * 0.6 * DPI / 25.4)  # most of the margin stays white: nothing overflowed
    w, h = image.size
    for box in ((0, 0, w, edge), (0, h - edge, w, h), (0, 0, edge, h), (w - edge, 0, w, h)):
        assert not inked(image, box)
    assert decode(image) == [poster_link(SHOP_NUMBER, station)]


def test_empty_business_name_leaves_the_line_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "poster.svg"
    assert make_poster(tmp_path, capsys, "--output", str(svg), business="")[0] == 0
    assert set(read_svg(svg)[1]) == {"question", "station", "instruction"}


@pytest.mark.parametrize(
    ("args", "station", "message"),
    [
        (["--output", "poster.jpg"], "Front desk", "poster.jpg: the file must end in .png or .svg"),
        (["--output", "poster.png", "--size", "a3"], "Front desk", "--size must be one of a5, a4, letter, not 'a3'"),
        (["--output", "poster.png"], "!!!", "has no letters or digits"),
        (["--output", "poster.png"], "", "has no letters or digits"),
    ],
)
def test_bad_requests_get_one_clear_line_and_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], station: str, message: str
) -> None:
    args = [str(tmp_path / arg) if arg.startswith("poster") else arg for arg in args]
    code, _, err = make_poster(tmp_path, capsys, *args, station=station)
    assert code == 2 and message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("poster.*"))


def test_an_unwritable_output_is_one_line_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    code, _, err = make_poster(tmp_path, capsys, "--output", str(tmp_path / "taken" / "poster.svg"))
    assert code == 1 and err.startswith("feedback qr: cannot write") and err.count("\n") == 1


def test_code_only_writes_the_bare_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "code.png"
    assert make_poster(tmp_path, capsys, "--output", str(png), "--code-only")[0] == 0
    image = Image.open(png)
    assert image.width == image.height < 1000 and decode(image) == [LINK]


def test_an_unmapped_station_gets_a_hint_a_mapped_one_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    svg = tmp_path / "poster.svg"
    _, _, err = make_poster(tmp_path, capsys, "--output", str(svg))
    assert '`front-desk = "Front desk"` to [sms.stations]' in err
    mapped = '[sms.stations]\nfront-desk = "Front desk"\n'
    _, _, err = make_poster(tmp_path, capsys, "--output", str(svg), config=mapped)
    assert err == ""


def test_without_dejavu_a_poster_needing_accents_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poster, "FONT_FILES", {False: ("no-such-font.ttf",), True: ("no-such-font.ttf",)})
    poster.font_file.cache_clear()
    poster.font.cache_clear()
    png = tmp_path / "poster.png"
    mapped = '[sms.stations]\nfront-desk = "Front desk"\n'
    try:
        code, _, err = make_poster(tmp_path, capsys, "--output", str(png), config=mapped)
        assert code == 0 and err == ""
        code, _, err = make_poster(tmp_path, capsys, "--output", str(png), config=mapped, business="Café Élise")
        assert code == 0 and "fonts-dejavu-core" in err
        assert decode(Image.open(png)) == [LINK]
    finally:
        poster.font_file.cache_clear()
        poster.font.cache_clear()


def test_a_poster_text_with_an_unknown_placeholder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = '[sms.texts]\nposter_instruction = "Text {phone}"\n'
    code, _, err = make_poster(tmp_path, capsys, "--output", str(tmp_path / "poster.svg"), config=texts)
    assert code == 2 and "poster_instruction uses unknown placeholder(s) ['phone']" in err
    assert "{code}, {number}, {station}" in err and not (tmp_path / "poster.svg").exists()


def monospace(text: str, size: float, bold: bool) -> float:
    """Every character half as wide as the font is tall: easy arithmetic for the layout rules."""
    return len(text) * size / 2


def test_a_long_name_wraps_then_shrinks_then_is_cut() -> None:
    style = poster.Style(size=10, min_size=5, max_height=25)  # two lines at full size
    assert poster.fit("Front desk", 100, style, 1, monospace) == (("Front desk",), 10)
    assert poster.fit("Front desk by the door", 100, style, 1, monospace) == (("Front desk by the", "door"), 10)
    lines, size = poster.fit("word " * 12, 100, style, 1, monospace)
    assert 5 < size < 10 and len(lines) * size * poster.LINE_HEIGHT <= 25 and "…" not in "".join(lines)
    lines, size = poster.fit("W" * 500, 100, style, 1, monospace)
    assert size == 5 and len(lines) == 4 and lines[-1].endswith("…")
    assert all(monospace(line, size, False) <= 100 for line in lines)
