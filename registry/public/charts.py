"""Tiny server-side SVG charts for the public pages: no chart library, no script in the browser.

Everything here is pure Python and returns safe strings. Every text that reaches the SVG goes
through ``escape``; only numbers computed here are written unescaped. Colours and sizes are SVG
presentation attributes (``fill="…"``), which a ``style-src 'self'`` CSP allows, unlike
``style="…"``.

Two drawings:
- ``BarChart``: horizontal bars, stacked or grouped for a two-way breakdown, with category
  labels, a value axis with ticks, value labels and a legend. Its ``rows`` feed the data table
  the page shows beside it, so the chart and the table cannot disagree.
- ``two_banks_svg``: Shenzhen-side organisations on one bank, Hong Kong-side ones on the other,
  a linked curve for each pair sharing projects, thicker for more.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = int | float | Decimal

# Fills with at least 4.5:1 contrast against white, so that bars stand out from the page
# (WCAG 1.4.11 asks 3:1) and white value labels inside them stay readable (1.4.3 asks 4.5:1).
# Neighbouring hues differ in lightness too, and stacked segments are separated by a white rule.
PALETTE = (
    "#0d3b66",  # navy
    "#b3540b",  # burnt orange
    "#2e7d32",  # green
    "#7b1fa2",  # purple
    "#c62828",  # red
    "#00695c",  # teal
    "#5d4037",  # brown
    "#455a64",  # blue grey
)
TEXT = "#1a1a1a"
MUTED = "#444444"
GRID = "#d0d7de"
RIVER = "#dcebf7"
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", sans-serif'
FONT_SIZE = 13
SMALL = 11
# A phone's drawing: 375 px less the page's margins, so that it is drawn at its own size.
NARROW = 340.0
NARROW_PAD = 4.0


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """A generous estimate of the rendered width: CJK characters are one em, others ~0.62 em.
    Only used to leave room for labels; the SVG scales as a whole."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.62 for ch in text)


def number(value: Number) -> str:
    """A count or amount the way the page's language writes numbers (two decimals only when
    there are cents)."""
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return number_format(value, 2, force_grouping=True)
    return number_format(int(value), force_grouping=True)


def fmt(value: float) -> str:
    """A coordinate: short and stable (no ``1e-05``, no trailing zeros)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_ticks(maximum: float, *, most: int = 5) -> list[float]:
    """Ticks from 0 to at least ``maximum`` in steps of 1, 2, 2.5 or 5 × 10ⁿ (whole steps for
    counts, since every value here is a count or a sum of money)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / most
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)
    count = math.ceil(maximum / step - 1e-9)
    return [i * step for i in range(count + 1)]


@dataclass(frozen=True)
class Item:
    """A category (a bar) or a series (a segment or a bar within a group)."""

    key: str
    label: str


@dataclass
class TableRow:
    label: str
    cells: list[tuple[str, str]]  # (series label, value): a phone shows each cell's label
    total: str


@dataclass
class BarChart:
    """Horizontal bars for a two-way breakdown: one bar (stacked) or one group of bars
    (grouped) per category, one segment or bar per series. ``values`` maps
    ``(category key, series key)`` to a number; missing pairs are zero."""

    chart_id: str
    title: str
    description: str
    category_label: str
    value_label: str
    categories: list[Item]
    series: list[Item]
    values: dict[tuple[str, str], Number]
    grouped: bool = False
    format_value: Callable[[Number], str] = number
    colours: Sequence[str] = field(default=PALETTE)

    def value(self, category: str, series: str) -> Number:
        return self.values.get((category, series), 0)

    def total(self, category: str) -> Number:
        return sum((self.value(category, s.key) for s in self.series), 0)

    def colour(self, index: int) -> str:
        return self.colours[index % len(self.colours)]

    @property
    def rows(self) -> list[TableRow]:
        """The same numbers as the bars, for the table beside the chart."""
        return [
            TableRow(
                category.label,
                [
                    (s.label, self.format_value(self.value(category.key, s.key)))
                    for s in self.series
                ],
                self.format_value(self.total(category.key)),
            )
            for category in self.categories
        ]

    @cached_property
    def svg(self) -> SafeString:
        """The drawing for a desk: category labels left of their bars."""
        return mark_safe("".join(self._draw(narrow=False)))

    @cached_property
    def svg_narrow(self) -> SafeString:
        """The drawing for a phone, as wide as one: each label above its bars. The page holds
        both drawings and its CSS shows the one that fits."""
        return mark_safe("".join(self._draw(narrow=True)))

    # -- drawing --------------------------------------------------------------------------
    def _draw(self, *, narrow: bool) -> Iterable[str]:
        pad = NARROW_PAD if narrow else 12.0
        bar, gap = (14.0, 12.0) if self.grouped else (22.0, 10.0)
        # On a phone a category's label has a line of its own above its bars.
        label_line = 18.0 if narrow else 0.0
        band = label_line + bar * (len(self.series) if self.grouped else 1) + gap
        labels_width = max((text_width(c.label) for c in self.categories), default=0) + 12
        left = pad if narrow else pad + labels_width
        if self.grouped:
            peak = max((float(v) for v in self.values.values()), default=0.0)
            end_labels = [self.format_value(v) for v in self.values.values()]
        else:
            peak = max((float(self.total(c.key)) for c in self.categories), default=0.0)
            end_labels = [self.format_value(self.total(c.key)) for c in self.categories]
        right_room = max((text_width(t, SMALL) for t in end_labels), default=0) + 10
        plot_width = NARROW - 2 * pad - right_room if narrow else 520.0
        ticks = nice_ticks(peak)
        while len(ticks) > (2 if narrow else 3):
            widest_tick = max(text_width(self.format_value(t), SMALL) for t in ticks)
            if widest_tick * len(ticks) < plot_width * 0.75:
                break
            ticks = nice_ticks(peak, most=len(ticks) - 2)
        scale = plot_width / ticks[-1]
        width = left + plot_width + right_room + pad

        legend, legend_height = self._legend(pad, pad, width - 2 * pad)
        top = pad + legend_height + 8
        plot_height = band * len(self.categories)
        axis_y = top + plot_height
        height = axis_y + 44

        chart = escape(self.chart_id + ("-narrow" if narrow else ""))
        yield (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
            f'class="{"narrow" if narrow else "wide"}" '
            f'aria-labelledby="{chart}-title" aria-describedby="{chart}-desc" '
            f'viewBox="0 0 {fmt(width)} {fmt(height)}" width="{fmt(width)}" '
            f'height="{fmt(height)}" font-family="{escape(FONT_FAMILY)}" '
            f'font-size="{FONT_SIZE}" fill="{TEXT}">'
            f'<title id="{chart}-title">{escape(self.title)}</title>'
            f'<desc id="{chart}-desc">{escape(self.description)}</desc>'
        )
        yield from legend
        # Value axis: grid lines, tick labels and the axis title under the bars.
        yield '<g class="axis">'
        for tick in ticks:
            x = left + tick * scale
            yield (
                f'<line x1="{fmt(x)}" y1="{fmt(top - 4)}" x2="{fmt(x)}" y2="{fmt(axis_y)}" '
                f'stroke="{GRID}" stroke-width="1"/>'
                f'<text x="{fmt(x)}" y="{fmt(axis_y + 16)}" text-anchor="middle" '
                f'font-size="{SMALL}" fill="{MUTED}">{escape(self.format_value(tick))}</text>'
            )
        yield (
            f'<line x1="{fmt(left)}" y1="{fmt(top - 4)}" x2="{fmt(left)}" y2="{fmt(axis_y)}" '
            f'stroke="{MUTED}" stroke-width="1"/>'
            f'<text x="{fmt(left + plot_width / 2)}" y="{fmt(axis_y + 36)}" '
            f'text-anchor="middle" fill="{MUTED}">{escape(self.value_label)}</text></g>'
        )
        yield '<g class="bars">'
        for index, category in enumerate(self.categories):
            y = top + index * band + gap / 2
            if narrow:
                # A white halo keeps the label readable where the grid lines cross it.
                yield (
                    f'<text x="{fmt(left + 2)}" y="{fmt(y + label_line / 2)}" '
                    f'dominant-baseline="central" stroke="#ffffff" stroke-width="4" '
                    f'paint-order="stroke">{escape(category.label)}</text>'
                )
                y += label_line
            else:
                yield (
                    f'<text x="{fmt(left - 8)}" y="{fmt(y + (band - gap) / 2)}" '
                    f'text-anchor="end" dominant-baseline="central">{escape(category.label)}</text>'
                )
            if self.grouped:
                yield from self._group(category, left, y, bar, scale)
            else:
                yield from self._stack(category, left, y, bar, scale)
        yield "</g></svg>"

    def _legend(self, x0: float, y0: float, room: float) -> tuple[list[str], float]:
        """Swatches and series names, wrapped onto as many lines as the width needs."""
        parts, x, y, line = ['<g class="legend">'], x0, y0, 20.0
        for index, item in enumerate(self.series):
            item_width = 14 + 6 + text_width(item.label) + 18
            if x > x0 and x + item_width > x0 + room:
                x, y = x0, y + line
            parts.append(
                f'<rect x="{fmt(x)}" y="{fmt(y + 2)}" width="14" height="14" '
                f'fill="{self.colour(index)}"/>'
                f'<text x="{fmt(x + 20)}" y="{fmt(y + 9)}" dominant-baseline="central">'
                f"{escape(item.label)}</text>"
            )
            x += item_width
        parts.append("</g>")
        return parts, (y - y0) + line

    def _stack(self, category: Item, left: float, y: float, bar: float, scale: float) -> list:
        parts, x = [], left
        for index, series in enumerate(self.series):
            value = self.value(category.key, series.key)
            if not value:
                continue
            length = float(value) * scale
            label = self.format_value(value)
            parts.append(
                f'<rect x="{fmt(x)}" y="{fmt(y)}" width="{fmt(length)}" height="{fmt(bar)}" '
                f'fill="{self.colour(index)}" stroke="#ffffff" stroke-width="1">'
                f"<title>{escape(category.label)} · {escape(series.label)}: {escape(label)}"
                f"</title></rect>"
            )
            if length >= text_width(label, SMALL) + 8:
                parts.append(
                    f'<text x="{fmt(x + length / 2)}" y="{fmt(y + bar / 2)}" '
                    f'text-anchor="middle" dominant-baseline="central" font-size="{SMALL}" '
                    f'fill="#ffffff">{escape(label)}</text>'
                )
            x += length
        parts.append(
            f'<text x="{fmt(x + 6)}" y="{fmt(y + bar / 2)}" dominant-baseline="central" '
            f'font-size="{SMALL}" font-weight="bold">'
            f"{escape(self.format_value(self.total(category.key)))}</text>"
        )
        return parts

    def _group(self, category: Item, left: float, y: float, bar: float, scale: float) -> list:
        parts = []
        for index, series in enumerate(self.series):
            value = self.value(category.key, series.key)
            length = float(value) * scale
            label = self.format_value(value)
            top = y + index * bar
            parts.append(
                f'<rect x="{fmt(left)}" y="{fmt(top + 1)}" width="{fmt(length)}" '
                f'height="{fmt(bar - 2)}" fill="{self.colour(index)}">'
                f"<title>{escape(category.label)} · {escape(series.label)}: {escape(label)}"
                f"</title></rect>"
                f'<text x="{fmt(left + length + 6)}" y="{fmt(top + bar / 2)}" '
                f'dominant-baseline="central" font-size="{SMALL}">{escape(label)}</text>'
            )
        return parts


# -- the two banks ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Bank:
    """One organisation on one bank (the same organisation may stand on both)."""

    key: str
    label: str


@dataclass(frozen=True)
class Crossing:
    """A pair of organisations across the river: how many projects they share, where the
    curve links to, and its accessible name."""

    shenzhen: str
    hong_kong: str
    weight: int
    href: str
    label: str


def stroke_widths(weights: Iterable[int]) -> dict[int, float]:
    """2 px for the fewest shared projects up to 12 px for the most, linear in between, so a
    pair sharing more projects is always drawn thicker."""
    distinct = sorted(set(weights))
    if not distinct:
        return {}
    low, high = distinct[0], distinct[-1]
    if high == low:
        return {low: 3.0}
    return {w: 2.0 + 10.0 * (w - low) / (high - low) for w in distinct}


def bank_order(
    shenzhen: list[Bank], hong_kong: list[Bank], crossings: list[Crossing]
) -> tuple[list[Bank], list[Bank]]:
    """Fewer crossing curves: Shenzhen side by how much it shares (most first), then each Hong
    Kong organisation at the weighted mean height of its partners (one barycentre pass)."""
    shared: dict[str, int] = {}
    for crossing in crossings:
        shared[crossing.shenzhen] = shared.get(crossing.shenzhen, 0) + crossing.weight
    left = sorted(shenzhen, key=lambda b: (-shared.get(b.key, 0), b.label))
    position = {bank.key: index for index, bank in enumerate(left)}
    pull: dict[str, list[float]] = {}
    for crossing in crossings:
        sums = pull.setdefault(crossing.hong_kong, [0.0, 0.0])
        sums[0] += position[crossing.shenzhen] * crossing.weight
        sums[1] += crossing.weight
    right = sorted(
        hong_kong,
        key=lambda b: (pull[b.key][0] / pull[b.key][1] if b.key in pull else 0.0, b.label),
    )
    return left, right


def shortened(text: str, room: float, size: float = FONT_SIZE) -> str:
    """The text cut with an ellipsis to fit ``room`` (estimated as ``text_width`` does)."""
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def two_banks_svg(
    *,
    chart_id: str,
    title: str,
    description: str,
    shenzhen_heading: str,
    hong_kong_heading: str,
    river_label: str,
    shenzhen: list[Bank],
    hong_kong: list[Bank],
    crossings: list[Crossing],
    narrow: bool = False,
) -> SafeString:
    """Shenzhen-side organisations on the left bank, Hong Kong-side ones on the right, one
    linked curve per crossing. The SVG is a labelled group, not an image: an image's children
    are hidden from assistive technology, and these links must stay reachable.

    On a desk the names stand outside the banks. ``narrow`` draws it as wide as a phone: the
    banks at the edges, a Shenzhen-side name above its dot and a Hong Kong-side one below, cut
    with an ellipsis where too long (the full name is its tooltip and is in the table)."""
    left, right = bank_order(shenzhen, hong_kong, crossings)
    rows = max(len(left), len(right), 1)
    if narrow:
        pad, row, top = 8.0, 50.0, 64.0
        left_x, right_x = pad + 6, NARROW - pad - 6
        width, height = NARROW, top + rows * row + pad
        room = width - 2 * pad
    else:
        pad, row, top = 16.0, 30.0, 64.0
        left_labels = max((text_width(b.label) for b in left), default=0)
        left_labels = max(left_labels, text_width(shenzhen_heading, FONT_SIZE + 1))
        right_labels = max((text_width(b.label) for b in right), default=0)
        right_labels = max(right_labels, text_width(hong_kong_heading, FONT_SIZE + 1))
        left_x = pad + left_labels + 12
        right_x = left_x + 380.0
        width, height = right_x + 12 + right_labels + pad, top + rows * row + pad
    gap = right_x - left_x

    def heights(banks: list[Bank]) -> dict[str, float]:
        # On a desk the shorter bank is centred against the longer one; on a phone both start
        # at the top, so that a name above a dot and one below never meet.
        offset = 0.0 if narrow else (rows - len(banks)) * row / 2
        start = top + offset + (18.0 if narrow else row / 2)
        return {b.key: start + index * row for index, b in enumerate(banks)}

    left_y, right_y = heights(left), heights(right)
    widths = stroke_widths(c.weight for c in crossings)
    chart = escape(chart_id + ("-narrow" if narrow else ""))
    heading = f'font-weight="bold" font-size="{FONT_SIZE + 1}"'
    if narrow:
        # The bank names above their banks, the river's under them.
        headings = (
            f'<text x="{fmt(pad)}" y="{fmt(top - 34)}" {heading}>{escape(shenzhen_heading)}'
            f'</text><text x="{fmt(width - pad)}" y="{fmt(top - 34)}" text-anchor="end" '
            f"{heading}>{escape(hong_kong_heading)}</text>"
            f'<text x="{fmt(left_x + gap / 2)}" y="{fmt(top - 14)}" text-anchor="middle" '
            f'font-size="{SMALL}" fill="{MUTED}">{escape(river_label)}</text>'
        )
    else:
        headings = (
            f'<text x="{fmt(left_x + gap / 2)}" y="{fmt(top - 16)}" text-anchor="middle" '
            f'font-size="{SMALL}" fill="{MUTED}">{escape(river_label)}</text>'
            f'<text x="{fmt(left_x)}" y="{fmt(top - 16)}" text-anchor="end" {heading}>'
            f"{escape(shenzhen_heading)}</text>"
            f'<text x="{fmt(right_x)}" y="{fmt(top - 16)}" {heading}>'
            f"{escape(hong_kong_heading)}</text>"
        )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="group" '
        f'class="{"narrow" if narrow else "wide"}" '
        f'aria-labelledby="{chart}-title" aria-describedby="{chart}-desc" '
        f'viewBox="0 0 {fmt(width)} {fmt(height)}" width="{fmt(width)}" height="{fmt(height)}" '
        f'font-family="{escape(FONT_FAMILY)}" font-size="{FONT_SIZE}" fill="{TEXT}">'
        f'<title id="{chart}-title">{escape(title)}</title>'
        f'<desc id="{chart}-desc">{escape(description)}</desc>',
        # The river between the banks.
        f'<rect x="{fmt(left_x + gap * 0.38)}" y="{fmt(top - 30)}" width="{fmt(gap * 0.24)}" '
        f'height="{fmt(height - top + 30 - pad / 2)}" fill="{RIVER}"/>',
        headings,
        '<g class="crossings" fill="none">',
    ]
    # Thin curves last, so that a thick one never hides a thin one.
    for crossing in sorted(crossings, key=lambda c: -c.weight):
        y1, y2 = left_y[crossing.shenzhen], right_y[crossing.hong_kong]
        middle = (left_x + right_x) / 2
        parts.append(
            f'<a href="{escape(crossing.href)}" aria-label="{escape(crossing.label)}">'
            f"<title>{escape(crossing.label)}</title>"
            f'<path class="pair" d="M {fmt(left_x + 6)} {fmt(y1)} C {fmt(middle)} {fmt(y1)} '
            f'{fmt(middle)} {fmt(y2)} {fmt(right_x - 6)} {fmt(y2)}" stroke="{PALETTE[0]}" '
            f'stroke-opacity="0.8" stroke-width="{fmt(widths[crossing.weight])}" '
            f'stroke-linecap="round" data-weight="{crossing.weight}"/></a>'
        )
    parts.append("</g>")
    for banks, positions, x, anchor in (
        (left, left_y, left_x, "start"),
        (right, right_y, right_x, "end"),
    ):
        parts.append('<g class="bank">')
        for bank in banks:
            y = positions[bank.key]
            parts.append(f'<circle cx="{fmt(x)}" cy="{fmt(y)}" r="5" fill="{PALETTE[1]}"/>')
            if not narrow:
                outside = "end" if anchor == "start" else "start"
                parts.append(
                    f'<text x="{fmt(x - 12 if anchor == "start" else x + 12)}" y="{fmt(y)}" '
                    f'text-anchor="{outside}" dominant-baseline="central">'
                    f"{escape(bank.label)}</text>"
                )
                continue
            label = shortened(bank.label, room)
            tooltip = f"<title>{escape(bank.label)}</title>" if label != bank.label else ""
            # Above the dot on the Shenzhen bank, below it on the Hong Kong one; a white halo
            # keeps a name readable where a curve passes behind it.
            parts.append(
                f'<text x="{fmt(pad if anchor == "start" else width - pad)}" '
                f'y="{fmt(y - 14 if anchor == "start" else y + 14)}" text-anchor="{anchor}" '
                f'dominant-baseline="central" stroke="#ffffff" stroke-width="4" '
                f'paint-order="stroke">{tooltip}{escape(label)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))
