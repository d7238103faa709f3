"""Stock footage as a generator: a shot's picture found on Pexels or Pixabay, downloaded, and
fitted to the shot by the animatic exactly like the user's own clips (photos, when no video
fits, get the animatic's camera moves).

Which result a shot uses is remembered in the project's `.storyreel/stock.json`, per shot and
take (seed): a result is never used twice in one project, and a new take of a shot is the
next result.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from storyreel.storyboards.atomic import write_text_atomic
from storyreel.tools import stock_search
from storyreel.tools.ffmpeg import BITEXACT, run_ffmpeg
from storyreel.tools.stock_search import (
    PROVIDERS,
    Kind,
    Orientation,
    Provider,
    Rendition,
    StockClient,
    StockError,
    StockItem,
    StockKeyRefused,
    StockUnavailable,
)

from .animatic import AnimaticGenerator
from .base import ClipOutput, ClipRequest, GeneratorError, ProgressCallback

LEDGER = "stock.json"  # in the project's .storyreel/ folder
CREDITS = "credits.txt"  # beside the rendered video
CREDITS_HEADING = "Credits for the pictures in "
MAX_TERMS = 4  # keyword searches narrow to nothing with more words
MIN_TERMS = 2  # derived searches are shortened down to this many words when nothing fits
PER_PAGE = 30
MAX_PAGES = 3  # per search words and kind
SLOWEST = 1.6  # the animatic slows footage this much at most before it loops it
MAX_UPSCALE = {"video": 1.0, "photo": 1.5}  # Pixabay's free photos are at most 1280 px wide
CROP_LOSS = 0.25  # pictures losing more of their area than this to the crop rank lower

STOPWORDS = set("""a an the and or but of in on at to for from by with without into onto over
under above below near behind beside between through across along around about as is are was
were be been being it its this that these those there here then than very some any each every
all both few more most other such no not only own same so too just while during before after
up down out off again once""".split())
# Words about the look rather than the subject: they find nothing in a keyword search.
STYLE_WORDS = set("""cinematic cinema documentary film filmic footage shot shots scene style
styled look looking lighting lit light golden hour warm cool soft hard moody dramatic
beautiful stunning epic gorgeous 4k 8k hd uhd high quality detailed realistic photorealistic
photo photograph photography video clip slow motion closeup close-up wide angle shallow depth
field bokeh vibrant muted tones tone color colour colors colours grade graded grading aesthetic
atmosphere atmospheric mood camera lens""".split())

_LEDGER_LOCK = threading.Lock()  # shots are made in parallel; renders of a project never are


def search_terms(prompt: str, style: str = "") -> str:
    """Keywords for a stock search from a shot's picture prompt: its words in order without
    the storyboard's style words (the renderer puts them in front of the prompt), stopwords
    and words about the look, at most MAX_TERMS of them, each once."""
    drop = STOPWORDS | STYLE_WORDS | set(_words(style))
    terms: list[str] = []
    for word in _words(prompt):
        if word not in drop and word not in terms and len(word) > 1:
            terms.append(word)
    return " ".join(terms[:MAX_TERMS])


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text.lower())


def _queries(request: ClipRequest) -> list[str]:
    """The searches to try in order: the shot's own `search:` as written, else the derived
    keywords, shortened a word at a time (down to MIN_TERMS) while nothing fits."""
    if request.search.strip():
        return [request.search.strip()]
    words = search_terms(request.prompt, request.style).split()
    return [" ".join(words[:n]) for n in range(len(words), min(MIN_TERMS, len(words)) - 1, -1)
            if n > 0]


def orientation(width: int, height: int) -> Orientation:
    ratio = width / height
    return "landscape" if ratio > 1.1 else "portrait" if ratio < 0.9 else "square"


@dataclass(frozen=True)
class Fit:
    """A result that suits a shot, and the file of it to download."""

    item: StockItem
    rendition: Rendition
    slowed: bool  # a video shorter than the shot, slowed to fill it
    crop: float  # fraction of the picture's area cropped away to fill the frame


def fitting(items: list[StockItem], width: int, height: int, seconds: float) -> list[Fit]:
    """The results that suit a `width` x `height` shot of `seconds`, best first.

    Kept: results of the frame's orientation (any for a square frame); that have a file
    covering the frame without enlarging it (photos: at most 1.5 times); videos at least as
    long as the shot slowed to 1/1.6 speed (shorter ones would loop). Of each result, the
    smallest file that covers the frame is downloaded.

    Ranked by: videos that play at their own speed before those slowed to fit, then pictures
    that lose at most a quarter of their area to the crop, then the provider's own order (its
    relevance ranking for the search words).
    """
    wanted = orientation(width, height)
    fits: list[tuple[tuple[bool, bool, int], Fit]] = []
    for index, item in enumerate(items):
        if wanted != "square" and orientation(item.width or 1, item.height or 1) != wanted:
            continue
        slowed = False
        if item.kind == "video":
            if item.duration is None or item.duration * SLOWEST < seconds:
                continue
            slowed = item.duration < seconds
        covering = [r for r in item.renditions
                    if max(width / r.width, height / r.height) <= MAX_UPSCALE[item.kind]]
        if not covering:
            continue
        rendition = min(covering, key=lambda r: r.width * r.height)
        kept = (width / height) / (rendition.width / rendition.height)
        crop = 1 - min(kept, 1 / kept)
        fit = Fit(item, rendition, slowed, crop)
        fits.append(((slowed, crop > CROP_LOSS, index), fit))
    return [fit for _, fit in sorted(fits, key=lambda pair: pair[0])]


class Pick(BaseModel):
    """The result one take of one shot uses."""

    seed: int
    search: str  # the shot's search words (before any shortening)
    item: StockItem
    rendition: Rendition


class Ledger(BaseModel):
    """Every result the project's shots have used, by shot, oldest take first."""

    version: Literal[1] = 1
    shots: dict[str, list[Pick]] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Ledger:
        try:
            return cls.model_validate_json(path.read_bytes())
        except (OSError, ValidationError):
            return cls()

    def find(self, shot: str, seed: int, search: str, provider: str) -> Pick | None:
        return next((p for p in self.shots.get(shot, []) if p.seed == seed and
                     p.search == search and p.item.provider == provider), None)

    def used(self) -> set[tuple[str, str, str]]:
        return {_identity(p.item) for picks in self.shots.values() for p in picks}

    def record(self, shot: str, pick: Pick) -> None:
        """Make `pick` the shot's take `pick.seed` (a seed searched with other words before
        gets the new result; its old one stays used)."""
        kept = [p for p in self.shots.get(shot, []) if p.seed != pick.seed]
        self.shots[shot] = [*kept, pick]


def _identity(item: StockItem) -> tuple[str, str, str]:
    return item.provider, item.kind, item.id


def provider_for(requested: str | None) -> Provider:
    """The provider a shot asked for, else the first with a key set (Pexels first)."""
    if requested:
        if requested not in PROVIDERS:
            raise GeneratorError(f"stock: unknown provider {requested!r}; use "
                                 f"{' or '.join(PROVIDERS)}")
        return PROVIDERS[requested].name
    configured = stock_search.configured()
    if not configured:
        raise GeneratorError(stock_search.no_key_message())
    return configured[0]


def auto_stock() -> tuple[bool, str]:
    """(use stock, why) for `generator: auto` on a machine without a usable diffusion model:
    stock when a provider key is set and the provider takes it; otherwise why not (an empty
    why when no key is set at all)."""
    configured = stock_search.configured()
    if not configured:
        return False, ""
    provider = configured[0]
    try:
        stock_search.check_access(provider)
    except StockUnavailable as error:
        return False, f"stock footage unusable ({error}): auto uses the CPU animatic generator"
    return True, f"{PROVIDERS[provider].key_variable} is set: auto uses stock footage"


class StockGenerator:
    """Shots from stock video libraries (Pexels, Pixabay); photos when no video fits."""

    name = "stock"
    text_to_video = True
    image_to_video = False
    makes_sound = False  # a stock clip's own sound is unknown material: it is left out

    def __init__(self) -> None:
        self._fitter = AnimaticGenerator()

    def check(self, model: str | None) -> None:
        """A key is set, and no provider with a key set refuses it (asked once every few
        minutes). A provider out of reach is no error here: shots already made come from the
        render cache, and those that need the network say so."""
        configured = stock_search.configured()
        if not configured:
            raise GeneratorError(stock_search.no_key_message())
        for provider in configured:
            try:
                stock_search.check_access(provider)
            except StockKeyRefused as error:
                raise GeneratorError(str(error)) from error
            except StockUnavailable:
                pass

    def __call__(self, request: ClipRequest, output: Path,
                 progress: ProgressCallback | None = None) -> ClipOutput:
        """Find, download and fit a stock clip (or photo) for `request` into `output`.

        Args:
            request: `search` (else words of `prompt`, without those of `style`),
                `provider`, size, fps, frame count, `seed` (the take: a new one is the next
                result), `camera` (for photos), and `shot` and `state` (the project's
                .storyreel/ folder; without it results are not remembered).
            output: the .mp4 to write (silent, exactly `request.num_frames` frames).
            progress: called with the fraction done (download, then fitting).

        A request that brings its own picture (`image`: the shot's asset) is the user's
        choice: it is fitted like a result, without a search.
        """
        credit = ""
        if request.image is None and request.video is None:
            request, credit = self._find(request, progress)
        self._fit(request, output, _part(progress, 0.5, 1.0) if credit else progress)
        return ClipOutput(output, request.num_frames, request.fps, request.width,
                          request.height, self.name, credit=credit)

    def _find(self, request: ClipRequest,
              progress: ProgressCallback | None) -> tuple[ClipRequest, str]:
        """`request` with the downloaded result as its video or image, and its credit."""
        provider = provider_for(request.provider)
        queries = _queries(request)
        if not queries:
            raise GeneratorError("stock: nothing to search for; give the shot a `search:` "
                                 "or a `visual:`")
        try:
            with StockClient(provider) as client:
                pick = self._pick(client, request, provider, queries)
                media = client.download(pick.rendition.url, _part(progress, 0.0, 0.5))
        except StockError as error:
            raise GeneratorError(str(error)) from error
        if pick.item.kind == "video":
            return replace(request, video=media), pick.item.credit
        return replace(request, image=media), pick.item.credit

    def _pick(self, client: StockClient, request: ClipRequest, provider: Provider,
              queries: list[str]) -> Pick:
        """The take's remembered result, else the best result no shot of the project has
        used: videos for each search in turn, then photos."""
        path = request.state / LEDGER if request.state is not None else None
        ledger = Ledger.load(path) if path else Ledger()
        known = ledger.find(request.shot, request.seed, queries[0], provider)
        if known is not None:
            return known
        kinds: tuple[Kind, ...] = ("video", "photo")
        for kind in kinds:
            for query in queries:
                # Shots are made in parallel: when others took every candidate meanwhile,
                # look again past what they took (the pages come from the search cache).
                while candidates := self._candidates(client, request, query, kind,
                                                     ledger.used()):
                    for fit in candidates:
                        pick = Pick(seed=request.seed, search=queries[0], item=fit.item,
                                    rendition=fit.rendition)
                        if path is None or self._claim(path, request.shot, pick):
                            return pick
                    ledger = Ledger.load(path) if path else ledger
        raise GeneratorError(f"stock: nothing on {PROVIDERS[provider].title} fits this shot "
                             f"for {queries[-1]!r} ({request.width}x{request.height}, "
                             f"{request.duration:.1f} s, not used by another shot); write "
                             "other words in the shot's `search:`")

    @staticmethod
    def _claim(path: Path, shot: str, pick: Pick) -> bool:
        """Record `pick` for the shot unless another shot used it first."""
        with _LEDGER_LOCK:
            ledger = Ledger.load(path)
            if _identity(pick.item) in ledger.used():
                return False
            ledger.record(shot, pick)
            write_text_atomic(path, ledger.model_dump_json(indent=1))
        return True

    @staticmethod
    def _candidates(client: StockClient, request: ClipRequest, query: str, kind: Kind,
                    used: set[tuple[str, str, str]]) -> list[Fit]:
        """Fitting results not used yet, best first, from as many pages as it takes to find
        one (at most MAX_PAGES)."""
        items: list[StockItem] = []
        free: list[Fit] = []
        for page in range(1, MAX_PAGES + 1):
            found = client.search(query, kind, page=page, per_page=PER_PAGE,
                                  orientation=orientation(request.width, request.height),
                                  min_size=(request.width, request.height))
            items += found.items
            free = [fit for fit in fitting(items, request.width, request.height,
                                           request.duration)
                    if _identity(fit.item) not in used]
            if free or not found.more:
                break
        return free

    def _fit(self, request: ClipRequest, output: Path, progress: ProgressCallback | None) -> None:
        """The animatic fits footage (trim, slow or loop; scale and crop) and moves the camera
        over photos; a clip's own sound is then dropped."""
        with tempfile.TemporaryDirectory(prefix=".stock.part-", dir=output.parent) as scratch:
            made = self._fitter(request, Path(scratch) / "fitted.mp4", progress)
            if made.has_sound:
                run_ffmpeg(["-i", str(made.path), "-map", "0:v:0", "-c", "copy", *BITEXACT,
                            str(output)])
            else:
                os.replace(made.path, output)


def _part(progress: ProgressCallback | None, start: float, end: float) -> ProgressCallback | None:
    """`progress` for a part of the work that spans `start` to `end` of the whole."""
    if progress is None:
        return None
    return lambda fraction: progress(start + (end - start) * fraction)


def write_credits(video: Path, credits: list[tuple[str, str]]) -> Path | None:
    """Write credits.txt beside `video`: each credit line (a stock clip's author, page and
    licence; the illustration set's attribution) with the shots it covers. With none, a
    credits.txt an earlier render wrote is removed. Returns the file written."""
    path = video.parent / CREDITS
    shots_by_credit: dict[str, list[str]] = {}
    for shot, credit in credits:
        if credit:
            shots_by_credit.setdefault(credit, []).append(shot)
    if not shots_by_credit:
        try:
            if path.read_text(encoding="utf-8").startswith(CREDITS_HEADING):
                path.unlink()
        except OSError:
            pass
        return None
    credited = [f"{', '.join(shots)}: {credit}" for credit, shots in shots_by_credit.items()]
    write_text_atomic(path, "\n".join([f"{CREDITS_HEADING}{video.name}", "", *credited]) + "\n")
    return path
