"""Registry profiles as data (conformance.profiles): each shipped file loads, validates, cites its sources."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from conformance.profiles import (
    PROFILE_NAMES,
    PROFILES_DIR,
    ProfileError,
    load_profile,
    load_profile_file,
    parse_profile,
)

EXPECTED = {"ghcr", "dockerhub", "ecr", "gar", "acr", "quay", "harbor", "zot", "distribution"}
SOURCE = "https://docs.example.org/registry"


def test_the_nine_profiles_are_shipped_and_each_loads_and_validates() -> None:
    assert set(PROFILE_NAMES) == EXPECTED
    for name in PROFILE_NAMES:
        profile = load_profile(name)
        assert profile.name == name and profile.title
        assert profile.path == PROFILES_DIR / f"{name}.toml"
        assert profile.settings() or profile.unset, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_setting_and_note_cites_an_https_documentation_page_and_what_it_says(name: str) -> None:
    raw = tomllib.loads((PROFILES_DIR / f"{name}.toml").read_text())
    single = ("url", "namespace", "auth", "expectations")
    tables: list[dict[str, Any]] = [raw[key] for key in single if key in raw]
    tables += list(raw.get("switches", {}).values()) + list(raw.get("notes", []))
    assert len(tables) == len(load_profile(name).settings())
    for table in tables:
        assert table["source"].startswith("https://"), table
        assert len(table["says"]) > 20, table
    for key, why in load_profile(name).unset.items():
        assert why.strip(), f"{name}: unset {key} says nothing"


def test_what_the_hosted_profiles_set() -> None:
    ghcr = load_profile("ghcr")
    assert ghcr.url is not None and ghcr.url.value == "https://ghcr.io"
    assert ghcr.namespace_for("Octo-Cat") == "octo-cat/registry-harness-conformance"
    assert {setting.key: setting.value for setting in ghcr.switches} == {
        "switches.blob_delete": False, "switches.manifest_delete": False, "switches.tag_delete": False}
    assert all(setting.reason for setting in ghcr.switches)
    assert "referrers" in ghcr.unset  # not documented: probed, never defaulted
    hub = load_profile("dockerhub")
    assert hub.url is not None and hub.url.value == "https://registry-1.docker.io"
    assert hub.namespace_for("Someone") == "someone"
    ecr = load_profile("ecr")
    assert ecr.url is None and "url" in ecr.unset
    assert any("5 MiB" in note.says for note in ecr.notes)
    distribution = load_profile("distribution")
    assert distribution.expectations is None and "expectations" in distribution.unset
    for name in ("ecr", "gar", "acr", "harbor", "zot", "distribution"):
        assert load_profile(name).url is None, f"{name} is not one public host"


def test_an_unknown_name_names_the_known_profiles() -> None:
    with pytest.raises(KeyError, match="unknown registry profile 'nope'; known: acr, distribution"):
        load_profile("nope")


def _profile(**data: Any) -> dict[str, Any]:
    return {"name": "demo", "title": "Demo registry"} | data


def _setting(value: Any, **extra: Any) -> dict[str, Any]:
    return {"value": value, "source": SOURCE, "says": "the documentation says exactly this"} | extra


@pytest.mark.parametrize(("data", "message"), [
    (_profile(url={"value": "https://r.example"}), r"\[url\] needs exactly value, source, says"),
    (_profile(url=_setting("https://r.example", source="http://docs.example.org")), "is not an https URL"),
    (_profile(url=_setting("https://r.example", says="")), "says must state what the source says"),
    (_profile(url=_setting("https://r.example/v2/")), "must be https://host"),
    (_profile(namespace=_setting("{owner}/x")), r"may only use \{username\}"),
    (_profile(namespace=_setting("{username}//x")), "does not give a valid repository name"),
    (_profile(switches={"warp": _setting(False, reason="fast")}), "unknown switch 'warp'"),
    (_profile(switches={"referrers": _setting(False)}), "needs a boolean value and a reason"),
    (_profile(switches={"referrers": _setting("no", reason="absent")}), "needs a boolean value and a reason"),
    (_profile(expectations=_setting("missing.toml")), "is not a file"),
    (_profile(notes=[{"value": "a limit"}]), r"\[notes\[0\]\] needs exactly"),
    (_profile(unset={"url": ""}), r"\[unset\] must map"),
    (_profile(chunk_size=_setting(5)), "unknown keys"),
    ({"name": "other", "title": "x"}, "must say name = 'demo'"),
])
def test_a_profile_without_its_sources_or_with_unknown_settings_is_refused(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile("demo", data, Path("demo.toml"))


def test_a_complete_file_validates(tmp_path: Path) -> None:
    path = tmp_path / "demo.toml"
    path.write_text(f'''name = "demo"
title = "Demo registry"
[url]
value = "https://r.example"
source = "{SOURCE}"
says = "the registry is served at r.example"
[switches.referrers]
value = false
reason = "no referrers API"
source = "{SOURCE}/referrers"
says = "the registry does not serve the referrers API"
[[notes]]
value = "small chunks refused"
source = "{SOURCE}/limits"
says = "chunks must be at least 5 MiB"
''')
    profile = load_profile_file(path)
    assert [setting.key for setting in profile.settings()] == ["url", "switches.referrers", "notes[0]"]
    assert profile.switches[0].as_json() == {"setting": "switches.referrers", "value": False,
                                             "source": f"{SOURCE}/referrers", "reason": "no referrers API",
                                             "says": "the registry does not serve the referrers API"}
    (tmp_path / "broken.toml").write_text("name = ")
    with pytest.raises(ProfileError, match=r"broken\.toml"):
        load_profile_file(tmp_path / "broken.toml")
