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
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs" / "assets", docs / "assets")
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--strict", "-q", "--data", str(data),
                           "--docs", str(docs), "--site", str(tmp_path / "site")], cwd=ROOT,
                          capture_output=True, text=True)
    # --strict fails on warnings: agencies not in the (empty) registry are warnings.
    assert proc.returncode == 1 and "agency not in the registry" in proc.stderr
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
    settings = json.loads((docs / ".site.json").read_text(encoding="utf-8"))
    assert settings["place"] == "绿春县"
    # Each county's sessions are its own pages.
    sessions = sorted(p.name for p in (site / "sessions").iterdir() if p.is_dir())
    assert len(sessions) == 3 and len(set(sessions)) == 3
