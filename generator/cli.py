"""Command line: `python -m generator generate|build|serve …`, a thin layer over the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .pipeline import ROOT, default_progress, generate
from .registry import RegistryError


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data"), help="data dir: replies/, agencies.yml, themes.yml (default: data)")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="docs dir to write into (default: docs)")
    parser.add_argument("--strict", action="store_true", help="fail on any problem, warnings included")
    parser.add_argument("--keep-contacts", action="store_true",
                        help="publish contact lines and personal phone numbers (only for an owner entitled to)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems and the summary")


def _generate(args) -> int:
    try:
        result = generate(args.data, args.docs, keep_contacts=args.keep_contacts,
                          progress=None if args.quiet else default_progress)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in result.problems:
        if problem.severity != "info" or not args.quiet:
            print(f"{problem.severity}: {problem}", file=sys.stderr)
    print(result.summary())
    if result.errors or (args.strict and result.warnings):
        return 1
    return 0


def _build(args) -> int:
    from .site import BuildError, build_site

    status = _generate(args)
    if status == 2 or (status and args.strict):
        return status
    try:
        warnings = build_site(args.docs, args.site, strict=args.strict)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"site built in {args.site} ({len(warnings)} MkDocs warnings)")
    return status


def _serve(args) -> int:
    from mkdocs.commands.serve import serve

    status = _generate(args)
    if status == 2:
        return status
    serve(str(ROOT / "mkdocs.yml"), docs_dir=str(args.docs.resolve()), dev_addr=args.addr)
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
    build.set_defaults(run=_build)
    serve = commands.add_parser("serve", help="generate, then preview the site on http://127.0.0.1:8000")
    _common(serve)
    serve.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
    serve.set_defaults(run=_serve)
    args = parser.parse_args(argv)
    return args.run(args)
