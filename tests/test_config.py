"""The data dir's site.yml: the place a site publishes for, its publisher, and a data dir
for a new place started from the command line; a site built from it names that place."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from generator.config import SiteConfig, load_site_config
from generator.places import Place
from generator.registry import RegistryError

from conftest import DATA, ROOT

CORPUS = ROOT / "tests" / "corpus" / "real"


def test_site_config_of_the_sample_data():
    site = load_site_config(DATA)
    assert site.places == (Place("吉林省", "省"),)
    assert site.title == "吉林省建议提案办理复文" and site.publisher


def test_site_config_missing_file_means_no_place(tmp_path):
    site = load_site_config(tmp_path)
    assert site == SiteConfig() and site.place is None and site.title == "建议提案办理复文"


@pytest.mark.parametrize("text, message", [
    ("place: 交通运输局\n", "is not a place name"),
    ("place: 绿春县\nwithin: 云南省\n", "expected a list"),
    ("within: [云南省]\n", "within is set but place is not"),
    ("place: 绿春县\ncolour: red\n", "unknown key"),
    ("place: 绿春县\npublisher: [a, b]\n", "publisher: expected text"),
    ("place: [绿春县\n", "not valid YAML"),
    ("- 绿春县\n", "expected a mapping"),
])
def test_site_config_errors_name_the_file(tmp_path, text, message):
    (tmp_path / "site.yml").write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError, match=message) as info:
        load_site_config(tmp_path)
    assert "site.yml" in str(info.value)


def test_cli_bad_site_config_exits_2(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "site.yml").write_text("place: 交通运输局\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "generator", "check", "--data", str(data)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "site.yml" in proc.stderr


def test_init_refuses_to_overwrite(tmp_path):
    args = [sys.executable, "-m", "generator", "init", str(tmp_path / "d"), "--place", "绿春县"]
    assert subprocess.run(args, cwd=ROOT, capture_output=True).returncode == 0
    again = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 2 and "not overwritten" in again.stderr


def test_new_place_site_names_its_place_and_publisher(tmp_path):
    """A data dir made by `init` for another place, with replies of that county and of
    its neighbours, builds a strict site whose header, home and about pages name it."""
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "generator", "init", str(data), "--place", "绿春县",
                    "--within", "云南省", "红河哈尼族彝族自治州", "--publisher", "绿春县人民政府办公室"],
                   cwd=ROOT, check=True, capture_output=True)
    for name in ("honghe-lvchun_jiaotong_1.txt", "honghe-mengzi_tiyu_1.txt", "wenshan_caizheng_1.txt"):
        shutil.copy(CORPUS / name, data / "replies" / name)
    docs = tmp_path / "docs"  # a docs dir of its own, without the project's assets
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--strict", "-q", "--data", str(data),
                           "--docs", str(docs), "--site", str(tmp_path / "site")], cwd=ROOT,
                          capture_output=True, text=True)
    # --strict fails on warnings: agencies not in the (empty) registry are warnings.
    assert proc.returncode == 1 and "agency not in the registry" in proc.stderr
    assert "--strict" in proc.stderr and "stopping before the MkDocs build" in proc.stderr  # says why
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "-q", "--data", str(data),
                           "--docs", str(docs), "--site", str(tmp_path / "site")], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    site = tmp_path / "site"
    home = (site / "index.html").read_text(encoding="utf-8")
    about = (site / "about" / "index.html").read_text(encoding="utf-8")
    assert "<title>绿春县建议提案办理复文</title>" in home
    assert "本站公开绿春县各承办单位" in home and "绿春县人民政府办公室" in home
    assert "绿春县人民政府办公室" in about and "吉林" not in home + about
    assert "<table>" in about and "| 字段 |" not in about  # the open data's fields as a table
    assert (site / "assets" / "site.css").is_file() and "assets/site.css" in home
    settings = json.loads((docs / ".site.json").read_text(encoding="utf-8"))
    assert settings["place"] == "绿春县"
    # Each county's sessions are its own pages.
    sessions = sorted(p.name for p in (site / "sessions").iterdir() if p.is_dir())
    assert len(sessions) == 3 and len(set(sessions)) == 3


def test_init_then_registry_entries_append_to_a_valid_registry(tmp_path):
    """The README's steps: `registry` output appended to the agencies.yml `init` wrote loads,
    and the agencies it lists are then known."""
    from generator.registry import AgencyRegistry

    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "generator", "init", str(data), "--place", "绿春县",
                    "--within", "云南省", "红河哈尼族彝族自治州"], cwd=ROOT, check=True, capture_output=True)
    assert AgencyRegistry.load(data / "agencies.yml").agencies == []  # `agencies:` with nothing yet
    shutil.copy(CORPUS / "honghe-lvchun_jiaotong_1.txt", data / "replies")
    out = subprocess.run([sys.executable, "-m", "generator", "registry", "--data", str(data)], cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout
    with open(data / "agencies.yml", "a", encoding="utf-8") as registry:
        registry.write(out)
    names = [a.name for a in AgencyRegistry.load(data / "agencies.yml").agencies]
    assert "绿春县交通运输局" in names
    check = subprocess.run([sys.executable, "-m", "generator", "check", "--fields", "--data", str(data)], cwd=ROOT,
                           capture_output=True, text=True)
    assert "agency not in the registry" not in check.stdout and "    agency: 绿春县交通运输局" in check.stdout
    site_yml = (data / "site.yml").read_text(encoding="utf-8")
    assert "# contact:" in site_yml and "# licence:" in site_yml and "吉林" not in (data / "themes.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("slug", ["住建局", "Zhu-Jian", "a b", "-x"])
def test_registry_slug_must_be_url_safe(tmp_path, slug):
    from generator.registry import AgencyRegistry

    path = tmp_path / "agencies.yml"
    path.write_text(f"agencies:\n- name: 某县住房和城乡建设局\n  slug: '{slug}'\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="lowercase ASCII"):
        AgencyRegistry.load(path)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a5c10000000049454e44ae426082")


def test_site_logo_and_favicon_from_the_data_dir(tmp_path):
    """site.yml's logo and favicon, files of the data dir, are the site's header logo and
    browser icon; the favicon defaults to the logo."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "emblem.png").write_bytes(PNG)
    with open(data / "site.yml", "a", encoding="utf-8") as f:
        f.write("logo: emblem.png\n")
    docs = tmp_path / "docs"
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--strict", "-q", "--data", str(data),
                           "--docs", str(docs), "--site", str(tmp_path / "site")], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<img src="assets/publisher/logo.png" alt="">' in home
    assert '<link rel="icon" href="assets/publisher/logo.png">' in home
    assert (tmp_path / "site" / "assets" / "publisher" / "logo.png").read_bytes() == PNG
    # Dropped from site.yml, the picture is removed with the other generated files.
    (data / "site.yml").write_text((DATA / "site.yml").read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "generator", "generate", "-q", "--data", str(data), "--docs", str(docs)],
                   cwd=ROOT, check=True, capture_output=True)
    assert not (docs / "assets" / "publisher" / "logo.png").exists()


@pytest.mark.parametrize("line, setup, message", [
    ("logo: emblem.bmp\n", {"emblem.bmp": PNG}, "not an image browsers show"),
    ("logo: missing.png\n", {}, "logo:"),
    ("favicon: [a]\n", {}, "favicon: expected a file name"),
    ("logo: big.png\n", {"big.png": PNG + bytes(1 << 20)}, "logo:"),
    ("logo: ../outside.png\n", {"../outside.png": PNG}, "outside the data dir"),
])
def test_site_logo_errors_name_the_key(tmp_path, line, setup, message):
    data = tmp_path / "data"
    data.mkdir()
    for name, content in setup.items():
        (data / name).write_bytes(content)
    (data / "site.yml").write_text("place: 绿春县\n" + line, encoding="utf-8")
    with pytest.raises(RegistryError, match=message) as info:
        load_site_config(data)
    assert "site.yml" in str(info.value)
