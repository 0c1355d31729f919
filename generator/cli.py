"""Command line: `python -m generator generate|build|check|archive|serve …`, a thin layer
over the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .model import shown
from .pipeline import ROOT, default_progress, generate
from .registry import RegistryError
from .write import WriteError


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data"), help="data dir: replies/, agencies.yml, themes.yml (default: data)")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="docs dir to write into (default: docs)")
    parser.add_argument("--strict", action="store_true", help="fail on any problem, warnings included")
    parser.add_argument("--keep-contacts", action="store_true",
                        help="publish contact lines and personal phone numbers (only for an owner entitled to)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems and the summary")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="processes reading and rendering replies (default: one per core; 1 = no extra process)")
    parser.add_argument("--ocr", action="store_true",
                        help="read scanned PDFs (no text layer) with Tesseract and its chi_sim language, if installed")
    parser.add_argument("--cache", type=Path, default=None,
                        help="extraction cache dir (default: .cache/generator beside the docs dir)")


def _run_generate(args):
    """Run `generate`, print its problems and summary; returns (exit status, result)."""
    try:
        result = generate(args.data, args.docs, keep_contacts=args.keep_contacts,
                          progress=None if args.quiet else default_progress, jobs=args.jobs,
                          cache_dir=args.cache, ocr=args.ocr)
    except (RegistryError, WriteError) as exc:  # nothing to build from: the run stops
        print(f"error: {shown(str(exc))}", file=sys.stderr)
        return 2, None
    for notice in result.notices:
        print(f"warning: {notice}", file=sys.stderr)
    for problem in result.problems:
        if problem.severity != "info" or not args.quiet:
            print(f"{problem.severity}: {problem}", file=sys.stderr)
    print(result.summary())
    return (1 if result.errors or (args.strict and result.warnings) else 0), result


def _strict_note(result, what: str) -> None:
    """Why a --strict run stopped: warnings alone do not fail without it."""
    if result.warnings and not result.errors:
        print(f"error: --strict: {len(result.warnings)} warning(s) above count as failures; {what}. Settle them "
              "(a sidecar replies/<stem>.yml sets a field, `null` when the reply has none, `sections: []` for one "
              "without sections; `registry` lists the agencies to register) "
              "or run without --strict.", file=sys.stderr)


def _generate(args) -> int:
    return _run_generate(args)[0]


def _generate_then(args, step) -> int:
    """Run `generate`, then `step(result)` (a build), which returns a line to print."""
    from .site import BuildError

    status, result = _run_generate(args)
    if status == 2 or (status and args.strict):
        if status == 1 and args.strict:
            _strict_note(result, "stopping before the MkDocs build")
        return status
    try:
        print(step(result))
    except BuildError as exc:
        print(f"error: {shown(str(exc))}", file=sys.stderr)
        return 1
    return status


def _build(args) -> int:
    from .site import build_site, default_build_cache

    def step(result):
        cache = args.build_cache or default_build_cache(args.docs, args.site)
        warnings = build_site(args.docs, args.site, strict=args.strict, search=args.search, jobs=args.jobs,
                              cache_dir=cache, full=args.full, progress=None if args.quiet else default_progress)
        return f"site built in {args.site} ({len(warnings)} MkDocs warnings)"

    return _generate_then(args, step)


def _archive(args) -> int:
    from .archive import build_archive

    def step(result):
        out = build_archive(args.docs, len(result.replies), out=args.out, strict=args.strict)
        return f"archive written: {out} ({out.stat().st_size // 1024} KB, {len(result.replies)} replies)"

    return _generate_then(args, step)


def _check(args) -> int:
    from .check import format_text, report
    from .pipeline import collect, load_context

    try:
        result = collect(args.data, load_context(args.data, args.keep_contacts, args.ocr), jobs=args.jobs)
    except RegistryError as exc:
        print(f"error: {shown(str(exc))}", file=sys.stderr)
        return 2
    print(format_text(report(result), result, fields=args.fields))
    if args.strict:
        _strict_note(result, "the check fails")
    return 1 if result.errors or (args.strict and result.warnings) else 0


def _serve(args) -> int:
    from mkdocs.commands.serve import serve

    status = _generate(args)
    if status == 2:
        return status
    serve(str(ROOT / "mkdocs.yml"), docs_dir=str(args.docs.resolve()), dev_addr=args.addr)
    return 0


def _init(args) -> int:
    from .config import init_data_dir

    try:
        written = init_data_dir(args.dir, args.place, args.within, args.publisher,
                                ROOT / "templates" / "starter" / "themes.yml")
    except (FileExistsError, ValueError) as exc:
        print(f"error: {shown(str(exc))}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(f"put the replies in {args.dir / 'replies'}, then: python -m generator check --data {args.dir}")
    return 0


def _registry(args) -> int:
    from .pipeline import collect, load_context
    from .registry import suggest_entries

    try:
        ctx = load_context(args.data)
        result = collect(args.data, ctx, jobs=args.jobs)
    except RegistryError as exc:
        print(f"error: {shown(str(exc))}", file=sys.stderr)
        return 2
    print(suggest_entries(ctx.registry, result.replies), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description="建议提案办理复文 site generator")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="turn data/replies into Markdown pages and open data under docs/")
    _common(gen)
    gen.set_defaults(run=_generate)
    build = commands.add_parser("build", help="generate, then build the static site with MkDocs")
    _common(build)
    build.add_argument("--site", type=Path, default=Path("site"), help="output dir (default: site)")
    build.add_argument("--search", choices=("auto", "material", "pagefind"), default=None,
                       help="search engine (default: mkdocs.yml's extra.search_engine; auto: Pagefind, "
                            "Material's in offline archives)")
    build.add_argument("--full", action="store_true",
                       help="render every page again, and keep its records for the next build (default: only "
                            "the pages that changed since the last build)")
    build.add_argument("--build-cache", type=Path, default=None,
                       help="the build cache's folder (default: .cache/site/<site dir name> beside the docs dir)")
    build.set_defaults(run=_build)
    check = commands.add_parser("check", help="report data quality per reply; writes nothing")
    _common(check)
    check.add_argument("--fields", action="store_true", help="also print every field read from each reply")
    check.set_defaults(run=_check)
    archive = commands.add_parser("archive", help="generate, then build the offline site into a zip")
    _common(archive)
    archive.add_argument("--out", type=Path, default=None,
                         help="zip to write (default: archives/replies-archive-<date>-<N>.zip)")
    archive.set_defaults(run=_archive)
    serve = commands.add_parser("serve", help="generate, then preview the site on http://127.0.0.1:8000")
    _common(serve)
    serve.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
    serve.set_defaults(run=_serve)
    init = commands.add_parser("init", help="start a data dir for a new place: site.yml, agencies.yml, themes.yml, replies/")
    init.add_argument("dir", type=Path, help="the data dir to create")
    init.add_argument("--place", required=True, help="the jurisdiction, as its agencies' names begin (e.g. 某某县)")
    init.add_argument("--within", nargs="*", default=[], help="enclosing jurisdictions, outermost first (e.g. 某某省 某某自治州)")
    init.add_argument("--publisher", default="", help="the publishing office")
    init.set_defaults(run=_init)
    registry = commands.add_parser("registry", help="print registry entries (YAML) for the agencies the replies name "
                                                    "that agencies.yml does not know yet")
    registry.add_argument("--data", type=Path, default=Path("data"), help="data dir (default: data)")
    registry.add_argument("-j", "--jobs", type=int, default=None, help="processes reading replies")
    registry.set_defaults(run=_registry)
    args = parser.parse_args(argv)
    return args.run(args)
