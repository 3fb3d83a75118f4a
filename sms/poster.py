"""Printable QR posters (``feedback qr``): the shop, the question, the code, the station, how to text.

One layout in millimetres, drawn twice: as SVG (real ``<text>``, selectable, the page sized in mm)
and as a 300 dpi PNG. Words are measured with the PNG's font, so a long name wraps, then shrinks,
then is cut with an ellipsis, the same way in both, and never leaves the page. Every word on it is
the shop's to set (``[sms.texts]``, the business and station names) and is treated as hostile:
control characters are dropped and the SVG is built with ElementTree, never by joining strings.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from shared.phones import display_phone
from sms.qr import file_format, qr_code, station_code
from sms.settings import SmsConfig

DPI = 300
MM_PER_INCH = 25.4
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# Fonts tried in order (Pillow finds them in the system's font folders); Pillow's own small font last.
FONT_FILES = {
    False: ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf"),
    True: ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf"),
}


class PageSize(StrEnum):
    A5 = "a5"
    A4 = "a4"
    LETTER = "letter"

    @property
    def mm(self) -> tuple[float, float]:
        return {PageSize.A5: (148.0, 210.0), PageSize.A4: (210.0, 297.0), PageSize.LETTER: (215.9, 279.4)}[self]

    @property
    def pixels(self) -> tuple[int, int]:
        """The page at 300 dpi: A5 is 1748 × 2480, Letter 2550 × 3300."""
        width, height = self.mm
        return round(width / MM_PER_INCH * DPI), round(height / MM_PER_INCH * DPI)


class Role(StrEnum):
    """The poster's words, in page order (the code goes after the question); also their SVG ``class``."""

    BUSINESS = "business"
    QUESTION = "question"
    STATION = "station"
    INSTRUCTION = "instruction"


ABOVE_CODE = frozenset({Role.BUSINESS, Role.QUESTION})


@dataclass(frozen=True, slots=True)
class Style:
    """How a block of words is set on an A5 page (every length scales with the page)."""

    size: float  # font size, mm
    min_size: float  # shrink no further; cut instead
    max_height: float  # mm of the page the block may take
    bold: bool = False


STYLES = {
    Role.BUSINESS: Style(6, 3.5, 7.5),
    Role.QUESTION: Style(10, 5, 28, bold=True),
    Role.STATION: Style(8, 4, 20.5, bold=True),
    Role.INSTRUCTION: Style(4.5, 3, 19),
}
LINE_HEIGHT = 1.25  # of the font size
BASELINE = 0.92  # a block's first baseline below its top, of the font size
MARGIN = 12.0  # mm on A5
GAP = 5.0  # mm on A5, at least, between blocks and around the code
CODE_SHARE = 0.8  # the code's largest side, of the width inside the margins
ELLIPSIS = "…"
NO_BREAK = "\u00a0\u202f"  # no-break spaces: a phone number is never split over two lines
AS_SPACES = str.maketrans(dict.fromkeys(NO_BREAK, " "))  # drawn as plain spaces: every font has one

# (text, font size in mm, bold) -> width in mm
Measure = Callable[[str, float, bool], float]


@dataclass(frozen=True, slots=True)
class PosterText:
    """The words on a poster, filled in from the shop's texts."""

    business: str
    question: str
    station: str
    instruction: str

    def of(self, role: Role) -> str:
        return str(getattr(self, role.value))


@dataclass(frozen=True, slots=True)
class TextBlock:
    role: Role
    lines: tuple[str, ...]
    size: float  # mm
    bold: bool
    top: float  # mm from the top of the page

    def baselines(self) -> Iterator[tuple[str, float]]:
        for index, line in enumerate(self.lines):
            yield line, self.top + self.size * (BASELINE + index * LINE_HEIGHT)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything goes, in mm; the code's modules include its white quiet zone."""

    page: PageSize
    blocks: tuple[TextBlock, ...]
    modules: tuple[tuple[bool, ...], ...]
    code_top: float
    code_side: float

    @property
    def center(self) -> float:
        return self.page.mm[0] / 2


def poster_text(settings: SmsConfig, number: str, station: str) -> PosterText:
    """The shop's poster texts filled in: ``{station}``, ``{code}`` (``#front-desk``), ``{number}`` (local style)."""
    values = {
        "station": station,
        "code": f"#{station_code(station)}",
        "number": display_phone(number, settings.phone_region).replace(" ", NO_BREAK[0]),
    }
    return PosterText(
        business=settings.business_name,
        question=settings.text("poster_question", **values),
        station=settings.text("poster_station", **values),
        instruction=settings.text("poster_instruction", **values),
    )


def write_poster(path: Path, text: PosterText, link: str, page: PageSize = PageSize.A5) -> None:
    """Write the poster as SVG or PNG, by the file's suffix."""
    suffix = file_format(path)
    layout = lay_out(page, text, link, width_mm)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".svg":
        svg_document(layout, title=f"{printable(text.question)} {printable(text.station)}").write(
            path, encoding="utf-8", xml_declaration=True
        )
    else:
        png_image(layout).save(path, format="PNG", dpi=(DPI, DPI))


# Layout (pure: the measure is passed in)


def lay_out(page: PageSize, text: PosterText, link: str, measure: Measure) -> Layout:
    """Stack the words and the code down the page; spare height is shared out evenly between them."""
    width, height = page.mm
    scale = min(width / 148, height / 210)
    margin, gap = MARGIN * scale, GAP * scale
    text_width = width - 2 * margin
    fitted = {role: fit(printable(text.of(role)), text_width, STYLES[role], scale, measure) for role in Role}
    present = [role for role in Role if fitted[role][0]]
    free = height - 2 * margin - len(present) * gap - sum(_height(*fitted[role]) for role in present)
    side = min(text_width * CODE_SHARE, free)
    spare = (free - side) / (len(present) + 2)
    blocks: list[TextBlock] = []
    top, code_top = margin + spare, None
    for role in present:
        if code_top is None and role not in ABOVE_CODE:
            code_top, top = top, top + side + gap + spare
        lines, size = fitted[role]
        blocks.append(TextBlock(role, lines, size, STYLES[role].bold, top))
        top += _height(lines, size) + gap + spare
    modules = tuple(tuple(row) for row in qr_code(link).get_matrix())
    return Layout(page, tuple(blocks), modules, top if code_top is None else code_top, side)


def _height(lines: tuple[str, ...], size: float) -> float:
    return len(lines) * size * LINE_HEIGHT


def fit(text: str, width: float, style: Style, scale: float, measure: Measure) -> tuple[tuple[str, ...], float]:
    """Wrap ``text`` to ``width``; shrink it while it is taller than its share; cut the rest with ``…``."""
    if not text:
        return (), style.size * scale
    size, smallest, room = style.size * scale, style.min_size * scale, style.max_height * scale
    while True:
        lines = wrap(text, width, size, style.bold, measure)
        if len(lines) * size * LINE_HEIGHT <= room or size <= smallest:
            break
        size = max(smallest, size * 0.9)
    most = max(1, int(room / (size * LINE_HEIGHT)))
    if len(lines) > most:
        lines = [*lines[: most - 1], ellipsize(lines[most - 1], width, size, style.bold, measure)]
    return tuple(lines), size


def wrap(text: str, width: float, size: float, bold: bool, measure: Measure) -> list[str]:
    """Greedy word wrap; a word wider than the page is broken wherever it must be."""

    def fits(line: str) -> bool:
        return measure(line, size, bold) <= width

    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while not fits(line):
            cut = _longest_fitting_prefix(line, fits)
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    return lines


def _longest_fitting_prefix(text: str, fits: Callable[[str], bool]) -> int:
    low, high = 1, len(text)  # at least one character a line, whatever its width
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


def ellipsize(line: str, width: float, size: float, bold: bool, measure: Measure) -> str:
    """``line`` cut short enough to end in ``…`` within ``width``."""
    while line and measure(line + ELLIPSIS, size, bold) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def printable(text: str) -> str:
    """One line that XML and a font can take: whitespace runs become one space (no-break spaces stay);
    control characters, lone surrogates and the two non-characters XML forbids are dropped."""
    kept = "".join(
        " " if char.isspace() and char not in NO_BREAK else char
        for char in text
        if char.isspace() or (unicodedata.category(char) not in ("Cc", "Cs") and char not in "\ufffe\uffff")
    )
    return re.sub(" {2,}", " ", kept).strip(" ")


# Fonts and the two drawings


def px(mm: float) -> float:
    return mm / MM_PER_INCH * DPI


@cache
def font_file(bold: bool) -> str | None:
    """The first of :data:`FONT_FILES` installed here, if any."""
    for name in FONT_FILES[bold]:
        try:
            ImageFont.truetype(name, 10)
        except OSError:
            continue
        return name
    return None


@cache
def font(size_px: float, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (accents, Greek, Cyrillic, Hebrew, Arabic) when installed, else Pillow's own (plain ASCII)."""
    name = font_file(bold)
    return ImageFont.truetype(name, size_px) if name else ImageFont.load_default(size_px)


def font_note(text: PosterText) -> str:
    """A warning when the PNG's words need letters that the fallback font lacks."""
    if font_file(False) or all(text.of(role).translate(AS_SPACES).isascii() for role in Role):
        return ""
    return (
        "note: no DejaVu Sans font is installed, so letters beyond plain ASCII print as boxes in the PNG "
        "(Debian: apt-get install fonts-dejavu-core)"
    )


def _font_for(size_mm: float, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return font(round(px(size_mm), 1), bold)


def width_mm(text: str, size: float, bold: bool) -> float:
    """Width in mm of ``text`` set in the poster's font at ``size`` mm."""
    return _font_for(size, bold).getlength(text.translate(AS_SPACES)) / px(1)


def font_family() -> str:
    """The CSS font list for the SVG: the font the words were measured with first."""
    chosen = _font_for(10, False)
    name = chosen.getname()[0] if isinstance(chosen, ImageFont.FreeTypeFont) else None
    families = dict.fromkeys(filter(None, (name, "DejaVu Sans", "Verdana")))
    return ", ".join(f"'{family}'" for family in families) + ", sans-serif"


def _runs(layout: Layout) -> Iterator[tuple[int, int, int]]:
    """Dark modules as (row, first column, length) runs."""
    for row, modules in enumerate(layout.modules):
        column = 0
        while column < len(modules):
            if not modules[column]:
                column += 1
                continue
            start = column
            while column < len(modules) and modules[column]:
                column += 1
            yield row, start, column - start


def svg_document(layout: Layout, title: str) -> ElementTree.ElementTree:
    width, height = layout.page.mm
    svg = ElementTree.Element(
        "svg",
        {
            "xmlns": SVG_NAMESPACE,
            "version": "1.1",
            "width": f"{width:g}mm",
            "height": f"{height:g}mm",
            "viewBox": f"0 0 {width:g} {height:g}",
        },
    )
    ElementTree.SubElement(svg, "title").text = title
    ElementTree.SubElement(svg, "rect", {"width": f"{width:g}", "height": f"{height:g}", "fill": "#fff"})
    module = layout.code_side / len(layout.modules)
    left = layout.center - layout.code_side / 2
    path = " ".join(
        f"M{left + column * module:.3f} {layout.code_top + row * module:.3f}"
        f"h{length * module:.3f}v{module:.3f}h{-length * module:.3f}z"
        for row, column, length in _runs(layout)
    )
    ElementTree.SubElement(svg, "path", {"class": "code", "d": path, "fill": "#000", "shape-rendering": "crispEdges"})
    family = font_family()
    for block in layout.blocks:
        text = ElementTree.SubElement(
            svg,
            "text",
            {
                "class": block.role.value,
                "font-family": family,
                "font-size": f"{block.size:.3f}",
                "font-weight": "bold" if block.bold else "normal",
                "text-anchor": "middle",
                "fill": "#111",
            },
        )
        for line, baseline in block.baselines():
            ElementTree.SubElement(text, "tspan", {"x": f"{layout.center:.3f}", "y": f"{baseline:.3f}"}).text = line
    ElementTree.indent(svg)
    return ElementTree.ElementTree(svg)


def png_image(layout: Layout) -> Image.Image:
    width, height = layout.page.pixels
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    count = len(layout.modules)
    module = int(px(layout.code_side) // count)  # whole pixels keep every module the same size
    side = module * count
    left = (width - side) // 2
    top = round(px(layout.code_top) + (px(layout.code_side) - side) / 2)
    for row, column, length in _runs(layout):
        x, y = left + column * module, top + row * module
        draw.rectangle((x, y, x + length * module - 1, y + module - 1), fill=0)
    for block in layout.blocks:
        chosen = _font_for(block.size, block.bold)
        for line, baseline in block.baselines():
            draw.text((width / 2, px(baseline)), line.translate(AS_SPACES), font=chosen, fill=17, anchor="ms")
    return image
