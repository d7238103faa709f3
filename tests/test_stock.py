"""Stock footage: the real Pexels and Pixabay client, the stock generator and a real render,
all against a local server that answers as the providers do."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import pytest
from stock_server import Media, StockServer, make_photo, make_video

from storyreel.generators import ClipRequest, GeneratorError, get_generator, stock
from storyreel.generators.registry import auto_choice
from storyreel.generators.stock import Ledger, fitting, search_terms
from storyreel.storyboards import (
    StoryboardError,
    dump_document,
    json_schema,
    load_storyboard,
    parse_document,
    validate_document,
)
from storyreel.studio.events import Event
from storyreel.studio.lock import RenderCancelled
from storyreel.studio.project import Project
from storyreel.studio.render import render
from storyreel.tools import stock_search
from storyreel.tools.probe import probe
from storyreel.tools.stock_search import (
    Rendition,
    StockClient,
    StockError,
    StockItem,
    StockKeyRefused,
    StockUnavailable,
)
from storyreel.tools.video import count_frames

KEY = "test-key"


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> list[Media]:
    """Real files: fitting landscape clips (one with sound), and one each that is portrait,
    too small and too short for a 640x360 shot of a few seconds; then photos."""
    folder = tmp_path_factory.mktemp("stock-media")

    def video(name: str, *size: int, seconds: int = 6, **kw) -> Path:
        return make_video(folder / f"{name}.mp4", *size, seconds, **kw)

    return [
        Media(101, "Ana Lima", video("ana", 640, 360, sound=True), 640, 360, duration=6),
        Media(102, "Tall Person", video("tall", 360, 640), 360, 640, duration=6),
        Media(103, "Small Person", video("small", 320, 180), 320, 180, duration=6),
        Media(104, "Brief Person", video("brief", 640, 360, seconds=1), 640, 360, duration=1),
        Media(105, "Ben Okafor", video("ben", 640, 360, source="smptebars"), 640, 360,
              duration=6),
        Media(106, "Chen Wei", video("chen", 640, 360, source="rgbtestsrc"), 640, 360,
              duration=6),
        Media(107, "Dara Novak", video("dara", 640, 360), 640, 360, duration=6),
        Media(108, "Eli Stone", video("eli", 640, 360), 640, 360, duration=6),
        Media(201, "Photo Grapher", make_photo(folder / "tall.jpg", 720, 1280), 720, 1280,
              kind="photo"),
    ]


def use_server(patch: pytest.MonkeyPatch, server: StockServer, cache: Path) -> None:
    for name in ("PEXELS_API_KEY", "PIXABAY_API_KEY"):
        patch.setenv(name, KEY)
    patch.setenv("STORYREEL_PEXELS_URL", server.pexels_url)
    patch.setenv("STORYREEL_PIXABAY_URL", server.pixabay_url)
    patch.setenv("STORYREEL_CACHE_DIR", str(cache))


@pytest.fixture
def server(catalogue, monkeypatch, tmp_path) -> Iterator[StockServer]:
    with StockServer(catalogue, key=KEY) as running:
        use_server(monkeypatch, running, tmp_path / "cache")
        yield running


def stock_project(root: Path, generator: dict) -> Project:
    """The short example (three shots, about ten seconds) with its pictures from stock."""
    project = Project.create(root, "short")
    _, doc = load_storyboard(project.storyboard_path)
    doc["generator"] = generator
    doc["shots"][1]["search"] = "steam rising"
    project.storyboard_path.write_text(dump_document(doc))
    return project


@pytest.fixture(scope="module")
def rendered(catalogue, tmp_path_factory):
    """The short example rendered from Pexels, three results to a page, with the first
    search answered 'too many requests, retry after 1 s'."""
    root = tmp_path_factory.mktemp("stock-render")
    with StockServer(catalogue, key=KEY) as server, pytest.MonkeyPatch.context() as patch:
        use_server(patch, server, root / "cache")
        patch.setattr(stock, "PER_PAGE", 3)
        project = stock_project(root / "tea", {"name": "stock", "provider": "pexels"})
        server.rate_limited, server.limited_path = 1, "/pexels/videos/search"
        result = render(project.storyboard_path)
        yield project, result, server, patch


def picks(project: Project) -> dict[str, list[str]]:
    ledger = Ledger.load(project.state_dir / stock.LEDGER)
    return {shot: [p.item.id for p in takes] for shot, takes in ledger.shots.items()}


def test_stock_render_has_the_programme_length_and_fits_each_clip(rendered):
    project, result, _, _ = rendered
    info = probe(result.video)
    assert (info.width, info.height) == (640, 360)
    assert abs(info.video_duration - result.duration) < 0.1
    assert abs(info.audio_duration - result.duration) < 0.1
    assert 8 < result.duration < 15
    for placement in result.shots.values():
        clip = [c for c in (project.cache_dir / "visual").glob("*.mp4")
                if count_frames(c) == placement.frames]
        assert clip, "every shot's clip has exactly the shot's frames"
    # the clip with sound was made silent: stock sound is unknown material
    for clip in (project.cache_dir / "visual").glob("*.mp4"):
        assert not probe(clip).has_audio


def test_shots_never_share_a_clip_and_skip_what_does_not_fit(rendered):
    project, _, _, _ = rendered
    chosen = picks(project)
    used = [i for ids in chosen.values() for i in ids]
    assert sorted(chosen) == ["calm", "cup", "leaves"]
    assert len(used) == len(set(used)) == 3
    # portrait (102), too small (103) and too short (104) are never picked; 105 and 106 come
    # from later pages of three results each
    assert set(used) == {"101", "105", "106"}


def test_search_words_come_from_search_or_visual_without_style_words(rendered):
    _, _, server, _ = rendered
    queries = {s.query["query"] for s in server.searches() if "query" in s.query}
    assert {"green tea leaves hillside", "steam rising", "quiet window"} <= queries
    assert all(s.headers.get("Authorization") == KEY for s in server.searches()
               if s.path.startswith("/pexels/"))
    assert not any("Authorization" in s.headers for s in server.seen
                   if s.path.startswith("/media/"))  # the key goes to the API only


def test_rate_limit_is_waited_out(rendered):
    _, _, server, _ = rendered
    searches = [s for s in server.searches() if s.path == "/pexels/videos/search"]
    first = searches[0]  # answered 429, Retry-After: 1
    again = next(s for s in searches[1:] if s.query == first.query)
    assert again.at - first.at >= 0.95


def test_credits_list_every_clip_with_author_page_and_licence(rendered):
    project, result, server, _ = rendered
    credits = (result.video.parent / "credits.txt").read_text(encoding="utf-8")
    assert result.video.parent == project.out_dir
    for shot, ids in picks(project).items():
        media = next(m for m in server.catalogue if str(m.id) == ids[-1])
        line = next(line for line in credits.splitlines() if line.startswith(f"{shot}: "))
        assert media.author in line and server.page_url("pexels", media) in line
        assert "Pexels License" in line and "https://www.pexels.com/license/" in line


def test_a_new_take_picks_the_next_result(rendered):
    project, _, server, _ = rendered
    before = picks(project)
    _, doc = load_storyboard(project.storyboard_path)
    doc["shots"][2]["generator"] = {"seed": 4242}  # what the studio's `g` writes
    project.storyboard_path.write_text(dump_document(doc))
    result = render(project.storyboard_path)
    after = picks(project)
    assert after["calm"] == [*before["calm"], "107"]  # the next result nobody used
    assert result.redone["visual"] == 1
    credits = (project.out_dir / "credits.txt").read_text(encoding="utf-8")
    assert "calm: Video by Dara Novak" in credits
    # the first take is remembered: going back to it gives its own clip again
    doc["shots"][2]["generator"] = {"seed": before_seed(project)}
    project.storyboard_path.write_text(dump_document(doc))
    render(project.storyboard_path)
    assert picks(project)["calm"] == after["calm"]
    assert f"calm: Video by {author_of(server, before['calm'][0])}" in \
        (project.out_dir / "credits.txt").read_text(encoding="utf-8")


def before_seed(project: Project) -> int:
    ledger = Ledger.load(project.state_dir / stock.LEDGER)
    return ledger.shots["calm"][0].seed


def author_of(server: StockServer, media_id: str) -> str:
    return next(m.author for m in server.catalogue if str(m.id) == media_id)


def test_a_bad_key_stops_the_render_with_one_clear_line(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PEXELS_API_KEY", "wrong")
    project = stock_project(tmp_path / "tea", {"name": "stock"})
    with pytest.raises(GeneratorError) as caught:
        render(project.storyboard_path)
    message = str(caught.value)
    assert "\n" not in message
    assert "Pexels refused the API key in PEXELS_API_KEY (HTTP 401)" in message
    assert not (project.cache_dir / "visual").exists()  # stopped before any shot was made


def test_no_key_names_what_to_set(monkeypatch):
    monkeypatch.delenv("PEXELS_API_KEY", raising=False)
    monkeypatch.delenv("PIXABAY_API_KEY", raising=False)
    with pytest.raises(GeneratorError, match="set PEXELS_API_KEY .* or PIXABAY_API_KEY"):
        get_generator("stock").check(None)


def test_auto_uses_stock_only_when_a_key_is_set_and_taken(server, monkeypatch):
    assert auto_choice()[0] == "stock"
    monkeypatch.delenv("PEXELS_API_KEY")
    monkeypatch.delenv("PIXABAY_API_KEY")
    assert auto_choice()[0] == "animatic"


def test_auto_falls_back_to_the_animatic_with_a_warning_when_stock_is_out_of_reach(
        server, monkeypatch, tmp_path):
    closed = StockServer([])
    closed.httpd.server_close()  # a port nothing listens on
    monkeypatch.setenv("STORYREEL_PEXELS_URL", closed.pexels_url)
    name, why = auto_choice()
    assert name == "animatic"
    assert why.startswith("stock footage unusable (cannot reach Pexels")
    project = stock_project(tmp_path / "tea", {"name": "auto"})
    warnings: list[str] = []
    cancel = threading.Event()

    def events(event: Event) -> None:
        if event.kind == "warning":
            warnings.append(event.message)
            cancel.set()  # seen what this test is about: stop the render

    with pytest.raises(RenderCancelled):
        render(project.storyboard_path, events=events, cancel=cancel)
    assert warnings and warnings[0] == why


def test_a_broken_download_resumes_from_where_it_stopped(server):
    media = server.catalogue[0]
    server.cut_after = 5000
    with StockClient("pexels") as client:
        path = client.download(server.media_url(media))
        assert path.read_bytes() == media.path.read_bytes()
        fetches = [s for s in server.seen if s.path.startswith("/media/")]
        assert [f.headers.get("Range") for f in fetches] == [None, "bytes=5000-"]
        assert client.download(server.media_url(media)) == path  # cached by URL
    assert len([s for s in server.seen if s.path.startswith("/media/")]) == 2


def test_pixabay_search_pages_and_its_bad_key(server, monkeypatch):
    with StockClient("pixabay") as client:
        first = client.search("tea", "video", per_page=3)
        second = client.search("tea", "video", page=2, per_page=3)
        last = client.search("tea", "video", page=3, per_page=3)
    assert [i.id for i in first.items + second.items + last.items] == [
        "101", "102", "103", "104", "105", "106", "107", "108"]
    assert first.more and second.more and not last.more
    item = first.items[0]
    assert item.author == "Ana Lima" and item.page_url == "https://www.pixabay.example/video/101/"
    assert item.renditions == [Rendition(url=server.media_url(server.catalogue[0]), width=640,
                                         height=360)]  # the empty 'large' is left out
    monkeypatch.setenv("PIXABAY_API_KEY", "wrong")
    with StockClient("pixabay") as client, pytest.raises(StockKeyRefused, match="PIXABAY_API_KEY"):
        client.search("tea", "photo")


def test_a_rate_limit_longer_than_the_cap_says_when_it_resets(server):
    server.rate_limited = 5
    server.limit_headers = {"X-Ratelimit-Reset": str(int(time.time()) + 3 * 3600)}
    with StockClient("pexels") as client, pytest.raises(StockError, match="resets in 3 h"):
        client.search("tea", "video")


def test_unreachable_provider_is_unavailable_not_a_traceback(monkeypatch):
    closed = StockServer([])
    closed.httpd.server_close()
    monkeypatch.setenv("PEXELS_API_KEY", KEY)
    monkeypatch.setenv("STORYREEL_PEXELS_URL", closed.pexels_url)
    with StockClient("pexels") as client, pytest.raises(StockUnavailable, match="cannot reach"):
        client.check_access()


def test_a_portrait_shot_without_portrait_footage_uses_a_photo(server, tmp_path):
    # the one portrait video (360x640) is too small for 720x1280: the photo is used
    request = ClipRequest(prompt="a tall tower", width=720, height=1280, fps=12, num_frames=12,
                          provider="pixabay", shot="tower", state=tmp_path)
    out = get_generator("stock")(request, tmp_path / "tower.mp4")
    assert count_frames(out.path) == 12 and not probe(out.path).has_audio
    assert out.credit.startswith("Photo by Photo Grapher (https://pixabay.com/users/")
    assert "Pixabay Content License" in out.credit
    assert Ledger.load(tmp_path / stock.LEDGER).shots["tower"][0].item.id == "201"


def item(id: str, width: int, height: int, duration: float | None = 6.0) -> StockItem:
    return StockItem(provider="pexels", kind="video" if duration else "photo", id=id,
                     page_url="", author="", width=width, height=height, duration=duration,
                     renditions=[Rendition(url=f"{id}.mp4", width=width, height=height)])


def test_fitting_filters_and_ranks_results():
    found = fitting([item("slow", 1280, 720, 3.0), item("tall", 720, 1280),
                     item("small", 640, 360), item("short", 1280, 720, 2.0),
                     item("square", 1080, 1080), item("five-four", 1350, 1080),
                     item("best", 1920, 1080)], 1280, 720, 4.0)
    # slowed (3 s for a 4 s shot) last; a 5:4 picture, losing 30% to the crop, after
    assert [f.item.id for f in found] == ["best", "five-four", "slow"]
    assert found[0].rendition.width == 1920 and not found[0].slowed
    assert stock.orientation(720, 720) == "square"
    assert [f.item.id for f in fitting([item("tall", 720, 1280)], 720, 720, 4.0)] == ["tall"]


def test_search_terms_drop_style_and_stopwords():
    assert search_terms("calm, soft morning light. quiet window, morning light",
                        "calm, soft morning light") == "quiet window"
    assert search_terms("Cinematic shot of a red fox running through fresh snow at dawn") == \
        "red fox running fresh"
    assert stock_search.retry_seconds(httpx.Headers({"Retry-After": "7"}), 0) == 7
    assert stock_search.retry_seconds(httpx.Headers({"X-Ratelimit-Reset": "1700000060"}),
                                      1700000000) == 60


def test_a_shot_with_its_own_picture_is_not_searched(server, tmp_path):
    request = ClipRequest(prompt="tea", width=160, height=90, fps=12, num_frames=12,
                          image=server.catalogue[-1].path, shot="own", state=tmp_path)
    out = get_generator("stock")(request, tmp_path / "own.mp4")
    assert out.credit == "" and count_frames(out.path) == 12
    assert server.seen == []


def test_schema_and_validator_agree_on_the_stock_keys():
    text = ("version: 1\ntitle: T\ngenerator: {name: stock, provider: PROVIDER}\n"
            "shots:\n  - id: a\n    narration: Hi.\n    search: tea leaves\n")
    schema = jsonschema.Draft202012Validator(json_schema())
    for provider, valid in (("pixabay", True), ("pexels", True), ("shutterstock", False)):
        doc = parse_document(text.replace("PROVIDER", provider))
        assert schema.is_valid(json.loads(json.dumps(doc))) is valid
        if valid:
            validate_document(doc)
        else:
            with pytest.raises(StoryboardError, match="provider"):
                validate_document(doc)


def test_credits_go_when_no_shot_uses_stock_any_more(tmp_path):
    video = tmp_path / "final.mp4"
    written = stock.write_credits(video, [("a", "Video by A on Pexels: ..."), ("b", "")])
    assert written is not None and written.read_text(encoding="utf-8").splitlines() == [
        "Credits for the pictures in final.mp4", "", "a: Video by A on Pexels: ..."]
    assert stock.write_credits(video, [("a", ""), ("b", "")]) is None
    assert not written.exists()
    (tmp_path / "credits.txt").write_text("my own notes\n")
    stock.write_credits(video, [])
    assert (tmp_path / "credits.txt").read_text() == "my own notes\n"  # not ours: kept
