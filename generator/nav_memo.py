"""The theme's nav and tabs rendered once per set of links, with the same output.

In: the theme's Jinja environment (as MkDocs' `theme.get_env()` and the plugins' `on_env`
leave it) and the site's nav. Out: the same environment, whose nav and tabs partials
(`PARTIALS`), for a page outside the nav, give the HTML they gave an earlier page whose
links to the nav's targets were the same.

Every page carries the whole nav (the drawer) and the tabs. On a page outside the nav
(a reply, a listing: nearly all of a large site's pages) no entry is active, so the two
partials differ from page to page only in their links, which MkDocs makes relative to
the page. The key is those links: each target of the nav (its pages, its links, the home
page, the logo) passed through the theme's own `url` filter from the page. A page in the
nav (its entry and sections marked active) is always rendered. This saves about 0.6 ms
of a 7 ms page, a tenth of a large build's rendering.

Used by the build engine (generator/sitebuild.py) for its own builds only; `mkdocs build`
and `mkdocs serve` render every partial. tests/test_sitebuild.py compares the engine's
sites with MkDocs' own, byte for byte.
"""

from __future__ import annotations

from jinja2 import TemplateNotFound
from mkdocs.utils.templates import url_filter

PARTIALS = ("partials/nav.html", "partials/tabs.html")


def _targets(items) -> list[str]:
    found = []
    for item in items:
        if getattr(item, "url", None) is not None:  # a page or a link; a section has none
            found.append(str(item.url))
        found.extend(_targets(getattr(item, "children", None) or ()))
    return found


def memoize_nav(env, nav, config) -> None:
    """Make the nav and tabs partials of `env` render once per set of links (see the
    module's docstring). Each process fills its own memo: forked workers start empty."""
    in_nav = {id(page) for page in nav.pages}
    homepage = (config.extra or {}).get("homepage") or (nav.homepage.url if nav.homepage else "")
    targets = _targets(nav.items) + [str(homepage), str(config.theme.get("logo") or "")]
    for name in PARTIALS:
        try:
            template = env.get_template(name)
        except TemplateNotFound:  # a theme without this partial: nothing to memoize
            continue
        template.root_render_func = _memoized(template.root_render_func, targets, in_nav)


def _memoized(render, targets: list[str], in_nav: set[int]):
    memo: dict[tuple[str, ...], str] = {}

    def root_render_func(context):
        page = context.get("page")
        if page is None or id(page) in in_nav:
            yield from render(context)
            return
        key = tuple(url_filter(context, target) for target in targets)
        if key not in memo:
            memo[key] = "".join(render(context))
        yield memo[key]

    return root_render_func


__all__ = ["PARTIALS", "memoize_nav"]
