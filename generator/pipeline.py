"""The whole run: every source read, checked and indexed before anything is written.

In: a data dir (`replies/*.txt`, optional `replies/<stem>.yml` sidecars, `agencies.yml`,
`themes.yml`) and a docs dir. Out: the generated files under docs/ (only those whose
content changed are rewritten, each atomically) and a `RunResult` with every problem.
A bad reply is reported with its file name and skipped; the others go on.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from .check import report
from .classify import Classifier
from .clean import clean
from .extract import extract
from .index import Index, build_index
from .model import Problem, Reply
from .read import ReadError, read_text
from .registry import AgencyRegistry, load_themes
from .render import USER_DICT, Renderer, jieba_user_dict, open_data_csv, open_data_json
from .text import FIELD_CLEANERS, id_from_stem

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
MANIFEST = ".generated.json"  # which files under docs/ the generator owns
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # write_atomic's temporary files


@dataclass
class RunResult:
    replies: list[Reply] = field(default_factory=list)  # published (full or summary)
    withheld: list[Reply] = field(default_factory=list)  # publish: false
    problems: list[Problem] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # paths rewritten, relative to docs/
    removed: list[str] = field(default_factory=list)
    sources: int = 0
    seconds: float = 0.0
    index: Index | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def summary(self) -> str:
        rate = self.sources / self.seconds if self.seconds else 0.0
        return (
            f"{len(self.replies)} replies written ({len(self.withheld)} withheld), "
            f"{len(self.warnings)} warnings, {len(self.errors)} errors, "
            f"{len(self.written)} files changed, {rate:.0f} replies/s"
        )


@dataclass
class Context:
    """What every reply needs, loaded once per run."""

    registry: AgencyRegistry
    classifier: Classifier
    keep_contacts: bool = False


def load_context(data_dir: Path, keep_contacts: bool = False) -> Context:
    registry = AgencyRegistry.load(data_dir / "agencies.yml")
    classifier = Classifier(load_themes(data_dir / "themes.yml"))
    return Context(registry, classifier, keep_contacts)


def load_sidecar(path: Path) -> dict:
    """The checked overrides of a sidecar file; raises ValueError naming what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"sidecar {path.name}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"sidecar {path.name}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"sidecar {path.name}: expected a mapping of field: value")
    out = {}
    for key, value in data.items():
        if key not in FIELD_CLEANERS or key == "source":
            raise ValueError(f"sidecar {path.name}: unknown field {key!r}")
        try:
            out[key] = FIELD_CLEANERS[key](value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"sidecar {path.name}: {key}: {exc}") from None
    if "date" in out and "year" not in out:
        out["year"] = out["date"].year if out["date"] else None
    return out


def process(path: Path, ctx: Context) -> tuple[Reply | None, list[Problem]]:
    """One source file → its Reply (or None) and its problems. Never raises for bad input."""
    source = path.name
    try:
        paragraphs = clean(read_text(path))
    except ReadError as exc:
        return None, [Problem(source, str(exc), zh=f"文件无法读取（{exc}）")]
    if not paragraphs:
        return None, [Problem(source, "no text", zh="文件没有文字")]
    overrides: dict = {}
    sidecar = path.with_suffix(".yml")
    if sidecar.exists():
        try:
            overrides = load_sidecar(sidecar)
        except ValueError as exc:
            return None, [Problem(source, str(exc), zh=f"附属设置文件有误（{exc}）")]
    reply, problems = extract(paragraphs, source, id_from_stem(path.stem), ctx.registry, ctx.keep_contacts)
    if reply is None:
        return None, problems
    if "themes" not in overrides:
        reply = ctx.classifier.classify(reply)
    return replace(reply, **overrides), problems


PARALLEL_FROM = 200  # below this many files, worker start-up costs more than it saves
_WORKER_CONTEXT: Context | None = None


def _init_worker(data_dir: Path, keep_contacts: bool) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = load_context(data_dir, keep_contacts)  # once per worker, not per reply


def _process_in_worker(path: Path):
    return process(path, _WORKER_CONTEXT)


def _processed(paths: list[Path], data_dir: Path, ctx: Context, jobs: int):
    """(reply, problems) for each path, in the order of `paths`, on `jobs` processes."""
    if jobs <= 1 or len(paths) < PARALLEL_FROM:
        yield from (process(path, ctx) for path in paths)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(data_dir, ctx.keep_contacts)) as pool:
        yield from pool.map(_process_in_worker, paths, chunksize=16)


def collect(data_dir: Path, ctx: Context, progress=None, jobs: int | None = None) -> RunResult:
    """Read, check and classify every reply (on `jobs` processes, default one per core);
    reject duplicate ids. The result does not depend on `jobs`."""
    result = RunResult()
    started = time.perf_counter()
    paths = sorted((data_dir / "replies").glob("*.txt"), key=lambda p: p.name)
    result.sources = len(paths)
    owner: dict[str, str] = {}
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    for number, (path, (reply, problems)) in enumerate(zip(paths, _processed(paths, data_dir, ctx, jobs)), 1):
        result.problems.extend(problems)
        if progress and (number % 500 == 0 or number == len(paths)):
            progress(f"read {number}/{len(paths)} replies")
        if reply is None:
            continue
        if reply.id in owner:
            result.problems.append(Problem(
                reply.source, f"id {reply.id!r} is already used by {owner[reply.id]}; not written",
                zh=f"编号 {reply.id} 已被 {owner[reply.id]} 使用，本件未生成"))
            continue
        owner[reply.id] = reply.source
        (result.withheld if reply.publish == "none" else result.replies).append(reply)
    result.seconds = time.perf_counter() - started
    return result


def render_all(result: RunResult, ctx: Context, templates: Path = TEMPLATES) -> dict[str, str]:
    """Every generated file, path relative to docs/ → content."""
    if result.index is None:
        result.index = build_index(result.replies, ctx.registry, ctx.classifier.themes)
    renderer = Renderer(templates, result.index)
    replies = sorted(result.replies, key=lambda r: r.id)
    files = {renderer.reply_path(r): renderer.reply_page(r) for r in replies}
    files.update(renderer.site_pages())
    published = {r.id for r in result.replies}
    withheld = {r.source for r in result.withheld}
    entries = [e for e in report(result) if e.source not in withheld]  # withheld: not even named
    for entry in entries:  # link only to pages that exist
        if entry.reply_id not in published:
            entry.reply_id = None
    files.update(renderer.quality_pages(entries, {
        "files": result.sources, "errors": len(result.errors), "warnings": len(result.warnings),
        "missing": sum(1 for e in entries if e.missing)}))
    # Search: agency names and short forms, themes and proposers stay single tokens.
    agencies = [form for a in ctx.registry.agencies for form in (a.name, *a.aliases)]
    agencies += [a.name for a in result.index.agencies]
    themes = [t.name for t in ctx.classifier.themes] + list(ctx.classifier.keywords)
    files[USER_DICT] = jieba_user_dict(agencies + themes + [p.name for p in result.index.proposers])
    # Open data is metadata only, so summary-only replies are in it too; withheld ones are not.
    files["data/replies.json"] = open_data_json(replies)
    files["data/replies.csv"] = open_data_csv(replies)
    return files


def write_atomic(path: Path, content: str) -> None:
    """Write via a temporary file and a rename, so a killed run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_outputs(files: dict[str, str], docs_dir: Path) -> tuple[list[str], list[str]]:
    """Write the files whose content changed; remove files the last run owned and this
    one did not produce. Hand-written files (not in the manifest) are never touched."""
    docs_dir = docs_dir.resolve()
    # Temporary files of a run that was killed before its rename: never a page, remove.
    for stale in docs_dir.rglob(".*.tmp"):
        if TEMP_NAME.match(stale.name) and stale.is_file():
            stale.unlink()
    written = []
    for rel, content in sorted(files.items()):
        target = (docs_dir / rel).resolve()
        if docs_dir not in target.parents:
            raise ValueError(f"refusing to write outside {docs_dir}: {rel}")
        try:
            if target.read_text(encoding="utf-8") == content:
                continue
        except (OSError, UnicodeDecodeError):
            pass
        write_atomic(target, content)
        written.append(rel)
    manifest_path = docs_dir / MANIFEST
    try:
        previous = set(json.loads(manifest_path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        previous = set()
    removed = []
    for rel in sorted(previous - set(files)):
        target = (docs_dir / rel).resolve()
        if docs_dir in target.parents and target.is_file():
            target.unlink()
            removed.append(rel)
    manifest = json.dumps(sorted(files), ensure_ascii=False, indent=1) + "\n"
    if not manifest_path.exists() or manifest_path.read_text(encoding="utf-8") != manifest:
        write_atomic(manifest_path, manifest)
    return written, removed


def generate(data_dir: Path, docs_dir: Path, keep_contacts: bool = False, progress=None,
             jobs: int | None = None) -> RunResult:
    """Read and index every reply, then write docs/. Registry errors raise RegistryError."""
    started = time.perf_counter()
    ctx = load_context(data_dir, keep_contacts)
    result = collect(data_dir, ctx, progress, jobs)
    files = render_all(result, ctx)
    result.written, result.removed = write_outputs(files, docs_dir)
    result.seconds = time.perf_counter() - started
    return result


def default_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
