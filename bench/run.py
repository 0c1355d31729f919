"""Benchmark the generator and the site on synthetic corpora of N replies.

    python bench/run.py [--sizes 1000 10000 100000] [--build-max 10000] [--repeat 3] [--out bench/results.json]

For each N it writes a corpus made from `data/replies` (proposers drawn from a roster of
3,000 names; varied agencies, sessions, dates and section order; the PDF-extraction
artefacts kept, since only words inside lines change) and measures, each in a fresh process:

- generate: wall time from an empty cache into an empty docs dir (the median of --repeat
  runs up to N = 10,000, the machine being a shared one), replies/s, peak memory (workers
  included), and the size of the open-data export for comparison;
- incremental: a second generate after one reply changed (the cache is warm);
- build (N <= --build-max): the site build alone (`site.build_site`, MkDocs and Pagefind,
  full, on every core) wall time and peak memory (all its processes together); then one
  reply's text changed, `python -m generator build` (generate, then the build rendering
  only what changed) wall time, and up to 10,000 whether that site equals a full build
  of the same docs byte for byte; site size, the largest HTML page, the search engine chosen; then Chromium
  searches the site for a known reply: the bytes downloaded before the first result and
  whether the reply was found; and opens the 检索 page filtered by agency × year × theme
  (the busiest agency, its newest year, its commonest theme that year): the bytes
  downloaded before the first result and whether the results are exactly the replies the
  open data says.

It prints a table and writes the figures, with the machine, to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "out"
# The outputs of the last run go here and are deleted at the end: on ext4, creating files
# just after deleting tens of thousands costs several times more (the kernel is still
# freeing them), which would be charged to the cold generate measured next.
TRASH = WORK / "trash"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红春晖玉兰海燕晓东宇浩然子涵欣怡梓轩思远"
GROUPS = ["民建省委会", "民进省委会", "民盟省委会", "民革省委会", "农工党省委会", "致公党省委会", "九三学社吉林省委员会", "台盟省委会", "省工商联"]
CN = "一二三四五六七八九十"
# Members and deputies who file: a provincial committee and congress have some 1,500
# between them per five-year term, and each files several a year; a decade's archive,
# two terms. (One new name per reply would make every reply its proposer's only one.)
ROSTER = 3000


def roster(rng: random.Random, size: int = ROSTER) -> list[str]:
    """`size` different names of members and deputies."""
    names: set[str] = set()
    while len(names) < size:
        names.add(rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))))
    return sorted(names)


def synthetic_reply(text: str, rng: random.Random, agencies: list[str], members: list[str]) -> str:
    """A new reply from a sample: other proposer (from `members`), signing agency, session,
    date, section order."""
    lines = text.split("\n")
    for n, line in enumerate(lines[:12]):  # the addressee
        match = re.match(r"^(\s*)(尊敬的)?(.+?)(委员|代表)([：:]\s*)$", line)
        if match:
            name = rng.choice(members)
            lines[n] = f"{match[1]}{match[2] or ''}{name}{match[4]}{match[5]}"
            break
        match = re.match(r"^(\s*)(\S+?(?:省委会|委员会))([：:]\s*)$", line)
        if match:
            lines[n] = f"{match[1]}{rng.choice(GROUPS)}{match[3]}"
            break
    text = "\n".join(lines)
    term, meeting = rng.choice([("十三届", m) for m in "一二三四五"] + [("十二届", m) for m in "三四五"])
    text = re.sub(r"(政协)(十[二三四])届([一二三四五])次", lambda m: f"{m[1]}{term}{meeting}次", text)
    text = re.sub(r"(省)十四届人大([一二三四五])次", lambda m: f"{m[1]}十四届人大{rng.choice('一二三四五')}次", text)
    # The signature: another agency, another date (in the closing lines only).
    head, tail = text[:-400], text[-400:]
    tail = re.sub(r"吉林省[\u4e00-\u9fff]{2,14}(?:厅|委员会|局)(?=\s*\n)", lambda m: rng.choice(agencies), tail, count=1)
    tail = re.sub(r"\d{4}(\s*年)", lambda m: str(rng.randint(2018, 2026)) + m[1], tail, count=1)
    text = head + tail
    # Section order: rotate the top-level sections (their lines move whole).
    lines = text.split("\n")
    starts = [n for n, l in enumerate(lines) if re.match(rf"^\s*[{CN}]\s*、", l)]
    signature = [n for n, l in enumerate(lines) if l.strip() in agencies or l.strip().startswith("吉林省") and len(l.strip()) < 16]
    if len(starts) >= 3 and signature and signature[-1] > starts[-1]:
        end = signature[-1]
        blocks = [lines[a:b] for a, b in zip(starts, starts[1:] + [end])]
        k = rng.randrange(len(blocks))
        lines = lines[: starts[0]] + sum(blocks[k:] + blocks[:k], []) + lines[end:]
    return "\n".join(lines)


def make_corpus(n: int, target: Path, seed: int = 20261121) -> Path:
    rng = random.Random(seed)
    data = target / "data"
    if data.exists():
        shutil.rmtree(data)
    (data / "replies").mkdir(parents=True)
    for name in ("agencies.yml", "themes.yml", "site.yml"):
        shutil.copy(ROOT / "data" / name, data / name)
    registry = yaml.safe_load((ROOT / "data" / "agencies.yml").read_text(encoding="utf-8"))["agencies"]
    agencies = [a["name"] for a in registry if a["name"].startswith("吉林省")]
    samples = [p.read_text(encoding="utf-8-sig") for p in sorted((ROOT / "data" / "replies").glob("*.txt"))]
    members = roster(rng)
    for i in range(n):
        text = synthetic_reply(samples[i % len(samples)], rng, agencies, members)
        (data / "replies" / f"r{i:06d}.txt").write_text(text, encoding="utf-8")
    return data


def _tree_memory_kb(root: int) -> int:
    """The memory (KB) of process `root` and all its descendants, now: the sum of their
    proportional set sizes (Pss), so that pages forked workers share with their parent
    count once."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as stat:
                    parents[int(entry.name)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    family, changed = {root}, True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                changed = True
    total = 0
    for pid in family:
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
                total += next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
        except OSError:
            continue
    return total


def run(args: list[str]) -> tuple[float, int, str]:
    """Run a command; returns (seconds, peak memory in KB of it and its processes together
    — workers and Pagefind runs at once counted together (`_tree_memory_kb`), sampled every
    0.2 s for 10 s, then every second, and no lower than the largest single process's
    peak; stdout). (Reading the Pss of large processes takes CPU from them: sampled 5 times
    a second, it cost the 100,000 build a fifth of a core.)"""
    import threading

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=err, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        peak, done = [0], threading.Event()

        def sample() -> None:
            while not done.wait(0.2 if time.perf_counter() - started < 10 else 1.0):
                peak[0] = max(peak[0], _tree_memory_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{err.read()[-2000:]}")
        return seconds, max(usage.ru_maxrss, peak[0]), out.read()


# The site build alone, in a fresh process: docs, site, build cache ("" for none).
BUILD = ("import sys; from pathlib import Path; from generator.site import build_site; "
         "build_site(Path(sys.argv[1]), Path(sys.argv[2]), cache_dir=Path(sys.argv[3]) if sys.argv[3] else None, "
         "progress=print)")  # its last line: where the time went


def summary(out: str) -> str:
    """The engine's last progress line: set-up, rendering and Pagefind's seconds."""
    return next((line for line in reversed(out.splitlines()) if line.startswith("site built in")), "")


IDENTITY_MAX = 10000  # up to this N the bench builds the changed docs again in full to compare


def tree_digest(root: Path) -> str:
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def lone_names(names, shortest: int) -> set[str]:
    """The `names` of at least `shortest` characters that no other of them contains: a
    search for 卢明 rightly finds 卢明华 too, so only a lone name finds one person's replies."""
    return {name for name in names if len(name) >= shortest and not any(name in other for other in names if other != name)}


def known_reply(records: list[dict]) -> dict:
    """A reply a search must find (open-data record): the newest-numbered one of the
    person whose three-character or longer name no other proposer's contains (卢明 would
    also find 卢明华, and two characters are often a word of the text as well) and who
    filed the fewest — one, up to 10,000 replies; at 100,000 every name of the bench's
    roster has filed several — so that the proposer's name is the query."""
    names = Counter(r["proposer"] for r in records)
    people = [name for name in names if name]
    unique = lone_names(people, 3)
    persons = [r for r in reversed(records) if r["proposer_type"] in ("委员", "代表") and r["proposer"] in unique]
    return min(persons, key=lambda r: names[r["proposer"]])  # the first of the fewest: the newest


@contextmanager
def measured_page(site: Path, browser=None):
    """A page in a new context of `browser` (a Playwright browser, the tests'; else one is
    launched), `site` served on 127.0.0.1: (page, base URL, the body sizes of the requests
    finished so far)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import CHROMIUM, CHROMIUM_ARGS, serve_directory

    with ExitStack() as stack:
        if browser is None:
            from playwright.sync_api import sync_playwright

            browser = stack.enter_context(sync_playwright()).chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            stack.callback(browser.close)
        base, stop = serve_directory(site)
        stack.callback(stop)
        context = browser.new_context()
        stack.callback(context.close)
        page = context.new_page()
        sizes: list[int] = []
        page.on("requestfinished", lambda r: sizes.append((r.sizes() or {}).get("responseBodySize", 0)))
        yield page, base, sizes


def first_search(site: Path, query: str, expected: str, browser=None) -> dict:
    """Open the home page of the built site in Chromium (served on 127.0.0.1), search for
    `query` in the search box and wait for the first result: the bytes downloaded from
    the first request to the first result (page, styles, scripts and search index
    included), the seconds the result took, and whether `expected` is among the results."""
    with measured_page(site, browser) as (page, base, sizes):
        page.goto(base + "/")
        box = page.locator("input.md-search__input")
        box.click()
        box.fill(query)
        started = time.perf_counter()
        box.press("End")
        page.wait_for_selector(".md-search-result__item", timeout=120_000)
        seconds = time.perf_counter() - started
        downloaded = sum(sizes)
        hrefs = page.locator(".md-search-result__item > .md-search-result__link").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))")
    return {"search_download_mb": round(downloaded / 2**20, 2), "search_s": round(seconds, 2),
            "search_found": any(f"/{expected}/" in h for h in hrefs)}


def busiest_filter(records: list[dict], tables: dict) -> tuple[dict, set[str]]:
    """The 检索 page's parameters for the busiest agency (lead or co-handling), its newest
    year and its commonest theme in that year, and the ids the open data says they give."""
    agency = Counter(a for r in records for a in dict.fromkeys([r["agency"], *r["co_agencies"]]) if a).most_common(1)[0][0]
    mine = [r for r in records if agency in (r["agency"], *r["co_agencies"])]
    year = max(r["year"] for r in mine if r["year"])
    theme = Counter(t for r in mine if r["year"] == year for t in r["themes"]).most_common(1)[0][0]
    ids = {r["id"] for r in mine if r["year"] == year and theme in r["themes"]}
    slug = {key: {v[1]: v[0] for v in table["values"]} for key, table in tables.items()}
    return {"agency": slug["agency"][agency], "year": year, "theme": slug["theme"][theme]}, ids


def first_filter(site: Path, browser=None) -> dict:
    """Open the 检索 page filtered as `busiest_filter` says and wait for the first result:
    the bytes downloaded from the first request (the page itself included) to the first
    result, the seconds, and whether the whole list is the replies the open data says."""
    from urllib.parse import urlencode

    records = json.loads((site / "data" / "replies.json").read_text(encoding="utf-8"))
    script = (site / "find" / "facets.js").read_text(encoding="utf-8")
    tables = {t["key"]: t for t in json.loads(script[script.index("=") + 1:-2])["facets"]}
    params, expected = busiest_filter(records, tables)
    with measured_page(site, browser) as (page, base, sizes):
        started = time.perf_counter()
        page.goto(f"{base}/find/?{urlencode(params)}")
        page.wait_for_selector("#find-results > li", timeout=120_000)
        seconds = time.perf_counter() - started
        downloaded = sum(sizes)
        while page.is_visible("#find-more"):
            count = page.locator("#find-results > li").count()
            page.click("#find-more")
            page.wait_for_function(f"document.querySelectorAll('#find-results > li').length > {count}")
        hrefs = page.eval_on_selector_all("#find-results a", "links => links.map(a => a.getAttribute('href'))")
    found = {re.search(r"/replies/([^/]+?)(?:/|\.html)$", h).group(1) for h in hrefs}
    return {"filter": params, "filter_results": len(expected), "filter_download_mb": round(downloaded / 2**20, 2),
            "filter_s": round(seconds, 2), "filter_exact": found == expected}


def _discard(*paths: Path) -> None:
    """Move outputs aside (deleted after the measurements, see `TRASH`), and write out
    what is still waiting in the page cache, so that no timed run pays for earlier work."""
    for path in paths:
        if path.exists():
            path.rename(TRASH / f"{path.parent.name}-{path.name}-{time.time_ns()}")
    os.sync()


def cold_generate(data: Path, docs: Path, repeat: int) -> tuple[list[float], int]:
    """`repeat` runs of generate from an empty cache into an empty docs dir: their
    seconds and the largest peak memory (KB)."""
    times, peak = [], 0
    for _ in range(repeat):
        _discard(docs, docs.parent / ".cache")
        # The hand-written part of docs/ only: every page, the about page too, is generated.
        shutil.copytree(ROOT / "docs", docs, ignore=lambda folder, names: [
            x for x in names if Path(folder) == ROOT / "docs" and x != "assets"])
        seconds, kb, _ = run([sys.executable, "-m", "generator", "generate", "-q", "--data", str(data),
                              "--docs", str(docs)])
        times.append(seconds)
        peak = max(peak, kb)
    return times, peak


def bench(n: int, build: bool, repeat: int) -> dict:
    target = WORK / f"n{n}"
    docs, site = target / "docs", target / "site"
    _discard(target / "data", site)
    data = make_corpus(n, target)
    py = sys.executable
    times, peak = cold_generate(data, docs, repeat)
    seconds = statistics.median(times)
    row = {"replies": n, "generate_s": round(seconds, 2), "replies_per_s": round(n / seconds),
           "generate_runs_s": [round(t, 2) for t in times], "peak_memory_mb": round(peak / 1024)}
    open_data = docs / "data" / "replies.json"
    row["open_data_mb"] = round(open_data.stat().st_size / 2**20, 1)
    one = data / "replies" / "r000000.txt"
    one.write_text(one.read_text(encoding="utf-8").replace("一是", "一 是", 1), encoding="utf-8")
    seconds, _, _ = run([py, "-m", "generator", "generate", "-q", "--data", str(data), "--docs", str(docs)])
    row["incremental_s"] = round(seconds, 2)
    if build:
        cache = target / "build-cache"
        _discard(cache)
        # The build alone (MkDocs and Pagefind; generate is measured above), full: no cache.
        seconds, peak, out = run([py, "-c", BUILD, str(docs), str(site), str(cache)])
        row.update({"build_s": round(seconds, 1), "build_peak_memory_mb": round(peak / 1024),
                    "build_summary": summary(out)})
        # One reply's text changed: generate and build, as an editor runs them.
        edited = data / "replies" / "r000001.txt"
        text = edited.read_text(encoding="utf-8")
        edited.write_text(text.replace("。", "，并抓好落实。", 1), encoding="utf-8")
        seconds, peak, _ = run([py, "-m", "generator", "build", "-q", "--data", str(data), "--docs", str(docs),
                                "--site", str(site), "--build-cache", str(cache)])
        row.update({"changed_build_s": round(seconds, 1), "changed_build_peak_memory_mb": round(peak / 1024)})
        if n <= IDENTITY_MAX:  # the same docs built in full: the same bytes?
            full = target / "site-full"
            _discard(full)
            run([py, "-c", BUILD, str(docs), str(full), ""])
            row["changed_build_identical"] = tree_digest(site) == tree_digest(full)
            _discard(full)
        pages = list(site.rglob("*.html"))
        largest = max(pages, key=lambda p: p.stat().st_size)
        row.update({
            "search_engine": "pagefind" if (site / "pagefind").is_dir() else "material",
            "site_mb": round(tree_size(site) / 2**20, 1),
            "largest_page_kb": round(largest.stat().st_size / 1024, 1),
            "largest_page": str(largest.relative_to(site)),
        })
        print(f"  {json.dumps(row, ensure_ascii=False)}", file=sys.stderr, flush=True)  # not lost if a check fails
        known = known_reply(json.loads(open_data.read_text(encoding="utf-8")))
        row["search_query"] = known["proposer"]
        for check, args in ((first_search, (site, known["proposer"], known["id"])), (first_filter, (site,))):
            try:
                row.update(check(*args))
            except Exception as exc:  # a figure of the build is worth keeping without it
                row[f"{check.__name__}_error"] = f"{type(exc).__name__}: {exc}"[:300]
    return row


def machine() -> dict:
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    return {"date": date.today().isoformat(), "cores": os.cpu_count(), "memory_gb": round(mem / 2**20),
            "cpu": cpu, "python": platform.python_version(), "system": platform.platform()}


COLUMNS = [("replies", "N"), ("generate_s", "generate s"), ("replies_per_s", "replies/s"),
           ("peak_memory_mb", "generate peak MB"), ("open_data_mb", "open data MB"),
           ("incremental_s", "incremental s"), ("build_s", "build s"), ("build_peak_memory_mb", "build peak MB"),
           ("changed_build_s", "1 changed: generate + build s"), ("changed_build_identical", "= full build"),
           ("site_mb", "site MB"), ("largest_page_kb", "largest page KB"), ("search_engine", "search"),
           ("search_download_mb", "MB before 1st result"), ("search_found", "found"),
           ("filter_download_mb", "检索 MB before 1st result"), ("filter_exact", "exact")]


def table(rows: list[dict]) -> str:
    head = "| " + " | ".join(label for _, label in COLUMNS) + " |"
    rule = "|" + "---|" * len(COLUMNS)
    body = ["| " + " | ".join(str(r.get(key, "—")) for key, _ in COLUMNS) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--build-max", type=int, default=10000, help="build the site only up to this N")
    parser.add_argument("--repeat", type=int, default=3,
                        help="cold generate runs per size up to 10,000 (the median is reported; one run above)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    rows = []
    TRASH.mkdir(parents=True, exist_ok=True)
    try:
        for n in args.sizes:
            print(f"N = {n} …", file=sys.stderr, flush=True)
            rows.append(bench(n, build=n <= args.build_max, repeat=args.repeat if n <= 10000 else 1))
    finally:
        shutil.rmtree(TRASH, ignore_errors=True)
    info = machine()
    args.out.write_text(json.dumps({"machine": info, "results": rows}, ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")
    print(f"{info['cores']} cores, {info['memory_gb']} GB, {info['cpu']}, Python {info['python']}, {info['date']}")
    print(table(rows))


if __name__ == "__main__":
    main()
