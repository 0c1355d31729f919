"""Small horizontal bar charts as inline SVG, drawn at build time.

In: (label, value) pairs. Out: an SVG element as a string, with no script, font or
external reference, so that it works offline and in any browser; colours come from the
page's CSS (class names), with fallbacks in the SVG itself. The numbers reach assistive
technology as a table (visually hidden, the same rows as the bars); the SVG is hidden from
it, so that a screen reader reads them once and as a table, not a picture's label.
"""

from __future__ import annotations

from html import escape

BAR = 24  # row height, px
LABEL = 150  # label column width, px: ten 13 px characters
WIDTH = 380  # about the width of one chart column on a desktop screen


def bar_chart(title: str, items: list[tuple[str, int]], chart_id: str,
              heads: tuple[str, str] = ("名称", "答复件数")) -> str:
    """A bar chart of `items` (already in display order), followed by the table of its
    numbers, under the column heads `heads`; empty string when there are none."""
    if not items:
        return ""
    top = max(value for _, value in items) or 1
    span = WIDTH - LABEL - 48
    height = BAR * len(items) + 8
    rows = []
    for row, (label, value) in enumerate(items):
        y = 4 + row * BAR
        shown = label if len(label) <= 10 else label[:9] + "…"
        width = max(2, round(span * value / top))
        rows.append(
            f'<g><title>{escape(label)}：{value}</title>'
            f'<text class="chart-label" x="{LABEL - 8}" y="{y + 16}" text-anchor="end">{escape(shown)}</text>'
            f'<rect class="chart-bar" x="{LABEL}" y="{y + 4}" width="{width}" height="{BAR - 8}" rx="2" fill="#c62828"/>'
            f'<text class="chart-value" x="{LABEL + width + 6}" y="{y + 16}">{value}</text></g>'
        )
    cells = "".join(f'<tr><th scope="row">{escape(label)}</th><td>{value}</td></tr>' for label, value in items)
    # A class on the table keeps Material from styling it and wrapping it in a scroll box; the
    # box around it hides it (a table's own box does not shrink to nothing).
    table = (f'<div class="visually-hidden"><table class="chart-data"><caption>{escape(title)}</caption>'
             f'<thead><tr><th scope="col">{escape(heads[0])}</th><th scope="col">{escape(heads[1])}</th></tr></thead>'
             f'<tbody>{cells}</tbody></table></div>')
    return (
        f'<div class="chart" id="{escape(chart_id)}">'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-hidden="true" focusable="false" font-size="13" fill="currentColor">'
        f'<title>{escape(title)}</title>{"".join(rows)}</svg>{table}</div>'
    )
