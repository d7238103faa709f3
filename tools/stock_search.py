"""Stock footage and photos from Pexels and Pixabay: search (page by page), their answers read
into pydantic models, rate limits waited out, and downloads cached by URL and resumed.

Keys come from the environment (PEXELS_API_KEY, PIXABAY_API_KEY), are sent only to the
provider's API (never with a media download) and are written nowhere. The API roots can be
pointed elsewhere with STORYREEL_PEXELS_URL and STORYREEL_PIXABAY_URL.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from filelock import FileLock
from pydantic import BaseModel, Field, ValidationError

from storyreel.storyboards.atomic import atomic_path
from storyreel.storyboards.errors import UserError

from .paths import cache_dir

Provider = Literal["pexels", "pixabay"]
Kind = Literal["video", "photo"]
Orientation = Literal["landscape", "portrait", "square"]
ProgressCallback = Callable[[float], None]

RATE_WAIT_CAP = 90.0  # seconds; a longer wait (a spent monthly quota) is an error, not a hang
RATE_RETRIES = 4
SEARCH_CACHE_SECONDS = 24 * 3600  # Pixabay asks that search answers be kept for 24 hours
ACCESS_CHECK_SECONDS = 300.0  # how long a provider's answer to "is this key good?" is trusted
DOWNLOAD_TRIES = 3
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class ProviderInfo:
    name: Provider
    title: str
    key_variable: str
    url_variable: str
    default_url: str
    signup: str  # where a free key is had
    licence: str
    licence_url: str


PROVIDERS: dict[Provider, ProviderInfo] = {
    "pexels": ProviderInfo("pexels", "Pexels", "PEXELS_API_KEY", "STORYREEL_PEXELS_URL",
                           "https://api.pexels.com", "https://www.pexels.com/api/",
                           "Pexels License", "https://www.pexels.com/license/"),
    "pixabay": ProviderInfo("pixabay", "Pixabay", "PIXABAY_API_KEY", "STORYREEL_PIXABAY_URL",
                            "https://pixabay.com/api", "https://pixabay.com/api/docs/",
                            "Pixabay Content License",
                            "https://pixabay.com/service/license-summary/"),
}


class StockError(UserError, RuntimeError):
    """A stock search or download failed; the message says why and what to do."""


class StockUnavailable(StockError):
    """The provider cannot be used from here at all: no key, a refused key, or no network."""


class StockKeyRefused(StockUnavailable):
    """The provider answered, and refused the key."""


class Rendition(BaseModel):
    """One downloadable file of an item, at one size."""

    url: str
    width: int
    height: int


class StockItem(BaseModel):
    """A video or photo found on a provider, with what its licence asks to credit."""

    provider: Provider
    kind: Kind
    id: str
    page_url: str
    author: str
    author_url: str = ""
    width: int
    height: int
    duration: float | None = None  # seconds, for videos
    renditions: list[Rendition]

    @property
    def credit(self) -> str:
        """One line naming the author, the page and the licence, as the providers ask."""
        info = PROVIDERS[self.provider]
        author = f"{self.author} ({self.author_url})" if self.author_url else self.author
        what = "Video" if self.kind == "video" else "Photo"
        return (f"{what} by {author} on {info.title}: {self.page_url} "
                f"({info.licence}, {info.licence_url})")


class SearchPage(BaseModel):
    items: list[StockItem]
    more: bool  # a next page exists


# The providers' answers, as far as storyreel reads them (other fields are ignored).

class _PexelsUser(BaseModel):
    name: str
    url: str = ""


class _PexelsVideoFile(BaseModel):
    link: str
    file_type: str | None = None
    width: int | None = None
    height: int | None = None


class _PexelsVideo(BaseModel):
    id: int
    url: str
    width: int
    height: int
    duration: float
    user: _PexelsUser
    video_files: list[_PexelsVideoFile]

    def item(self) -> StockItem:
        files = [Rendition(url=f.link, width=f.width, height=f.height) for f in self.video_files
                 if f.file_type == "video/mp4" and f.width and f.height]
        return StockItem(provider="pexels", kind="video", id=str(self.id), page_url=self.url,
                         author=self.user.name, author_url=self.user.url, width=self.width,
                         height=self.height, duration=self.duration, renditions=files)


class _PexelsPhotoSources(BaseModel):
    original: str
    large2x: str


class _PexelsPhoto(BaseModel):
    id: int
    url: str
    width: int
    height: int
    photographer: str
    photographer_url: str = ""
    src: _PexelsPhotoSources

    def item(self) -> StockItem:
        # large2x fits inside 1880 x 1300 (940 x 650 at twice the pixel density)
        w, h = _fit_inside(self.width, self.height, 1880, 1300)
        return StockItem(provider="pexels", kind="photo", id=str(self.id), page_url=self.url,
                         author=self.photographer, author_url=self.photographer_url,
                         width=self.width, height=self.height,
                         renditions=[Rendition(url=self.src.large2x, width=w, height=h),
                                     Rendition(url=self.src.original, width=self.width,
                                               height=self.height)])


class _PexelsVideos(BaseModel):
    videos: list[_PexelsVideo]
    next_page: str | None = None


class _PexelsPhotos(BaseModel):
    photos: list[_PexelsPhoto]
    next_page: str | None = None


class _PixabayRendition(BaseModel):
    url: str = ""
    width: int = 0
    height: int = 0


class _PixabayVideo(BaseModel):
    id: int
    page_url: str = Field(alias="pageURL")
    duration: float
    user: str
    user_id: int
    videos: dict[str, _PixabayRendition]

    def item(self) -> StockItem:
        files = [Rendition(url=v.url, width=v.width, height=v.height)
                 for v in self.videos.values() if v.url and v.width and v.height]
        largest = max(files, key=lambda r: r.width * r.height, default=None)
        return StockItem(provider="pixabay", kind="video", id=str(self.id),
                         page_url=self.page_url, author=self.user,
                         author_url=f"https://pixabay.com/users/{self.user}-{self.user_id}/",
                         width=largest.width if largest else 0,
                         height=largest.height if largest else 0, duration=self.duration,
                         renditions=files)


class _PixabayPhoto(BaseModel):
    id: int
    page_url: str = Field(alias="pageURL")
    user: str
    user_id: int
    width: int = Field(alias="imageWidth")
    height: int = Field(alias="imageHeight")
    large_url: str = Field(alias="largeImageURL")

    def item(self) -> StockItem:
        w, h = _fit_inside(self.width, self.height, 1280, 1280)  # largeImageURL's size
        return StockItem(provider="pixabay", kind="photo", id=str(self.id),
                         page_url=self.page_url, author=self.user,
                         author_url=f"https://pixabay.com/users/{self.user}-{self.user_id}/",
                         width=self.width, height=self.height,
                         renditions=[Rendition(url=self.large_url, width=w, height=h)])


class _PixabayVideos(BaseModel):
    total: int = Field(alias="totalHits")  # how many of the results the API gives out
    hits: list[_PixabayVideo]


class _PixabayPhotos(BaseModel):
    total: int = Field(alias="totalHits")
    hits: list[_PixabayPhoto]


def _fit_inside(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    scale = min(1.0, box_w / width, box_h / height) if width and height else 1.0
    return round(width * scale), round(height * scale)


def provider_url(provider: Provider) -> str:
    info = PROVIDERS[provider]
    return (os.environ.get(info.url_variable) or info.default_url).rstrip("/")


def api_key(provider: Provider) -> str:
    """The provider's key from the environment; raises StockUnavailable naming what to set."""
    info = PROVIDERS[provider]
    key = os.environ.get(info.key_variable, "").strip()
    if not key:
        raise StockUnavailable(f"stock footage from {info.title} needs an API key: set "
                               f"{info.key_variable} (free at {info.signup})")
    return key


def configured() -> list[Provider]:
    """The providers with a key set, Pexels first."""
    return [name for name, info in PROVIDERS.items()
            if os.environ.get(info.key_variable, "").strip()]


def no_key_message() -> str:
    return "stock footage needs an API key: set " + " or ".join(
        f"{info.key_variable} (free at {info.signup})" for info in PROVIDERS.values())


def retry_seconds(headers: httpx.Headers, now: float) -> float | None:
    """How long a 429 answer asks to wait: Retry-After (seconds or a date), else
    X-Ratelimit-Reset (Pexels: the reset's UNIX time; Pixabay: seconds until it)."""
    after = headers.get("Retry-After")
    if after:
        try:
            return max(0.0, float(after))
        except ValueError:
            try:
                return max(0.0, email.utils.parsedate_to_datetime(after).timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = headers.get("X-Ratelimit-Reset")
    if reset:
        try:
            value = float(reset)
        except ValueError:
            return None
        return max(0.0, value - now if value > 1e9 else value)
    return None


def _in_words(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def _cache_file(folder: str, *parts: object) -> Path:
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:32]
    return cache_dir() / "stock" / folder / key


class StockClient:
    """Searches one provider and downloads what it found, over one HTTP connection pool.

    Args:
        provider: "pexels" or "pixabay".
        max_wait: the longest a rate limit is waited out, in seconds, per request.
        sleep: how waiting is done (tests pass their own clock).
    """

    def __init__(self, provider: Provider, *, max_wait: float = RATE_WAIT_CAP,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.info = PROVIDERS[provider]
        self.key = api_key(provider)
        self.base_url = provider_url(provider)
        self.max_wait, self.sleep = max_wait, sleep
        self.http = httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                                 headers={"User-Agent": "storyreel"})

    def __enter__(self) -> StockClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def search(self, query: str, kind: Kind, *, page: int = 1, per_page: int = 30,
               orientation: Orientation | None = None,
               min_size: tuple[int, int] | None = None) -> SearchPage:
        """One page of the provider's results for `query`, in the provider's order.

        Args:
            query: search words.
            kind: "video" or "photo".
            page: 1 for the first page.
            per_page: results per page (Pexels: up to 80; Pixabay: 3 to 200).
            orientation: asked of the provider where it filters by it (the caller filters
                again: Pixabay's video search has no such option).
            min_size: (width, height) the results should reach, where the provider filters by
                size (Pexels videos by class: HD, Full HD, 4K; Pixabay by pixels).

        Answers are kept for 24 hours in the user cache (Pixabay asks for it; it also lets a
        re-render work offline).
        """
        if self.info.name == "pexels":
            path = "/videos/search" if kind == "video" else "/v1/search"
            params: dict[str, Any] = {"query": query, "page": page,
                                      "per_page": min(80, per_page)}
            if orientation:
                params["orientation"] = orientation
            if min_size and kind == "video":
                short = min(min_size)
                params["size"] = "small" if short <= 720 else "medium" if short <= 1080 else "large"
        else:
            path = "/videos/" if kind == "video" else "/"
            params = {"q": query[:100], "page": page, "per_page": max(3, min(200, per_page)),
                      "safesearch": "true"}
            if kind == "video":
                params["video_type"] = "film"
            else:
                params["image_type"] = "photo"
                if orientation in ("landscape", "portrait"):
                    params["orientation"] = "horizontal" if orientation == "landscape" else "vertical"
            if min_size:
                params["min_width"], params["min_height"] = min_size
        body = self._cached_get(self.base_url + path, params)
        try:
            return self._page(body, kind, page, per_page)
        except ValidationError as error:
            raise StockError(f"{self.info.title} answered in an unexpected form: "
                             f"{error.errors()[0]['msg']} at {error.errors()[0]['loc']}") from error

    def _page(self, body: Any, kind: Kind, page: int, per_page: int) -> SearchPage:
        if self.info.name == "pexels":
            if kind == "video":
                videos = _PexelsVideos.model_validate(body)
                return SearchPage(items=[v.item() for v in videos.videos],
                                  more=videos.next_page is not None)
            photos = _PexelsPhotos.model_validate(body)
            return SearchPage(items=[p.item() for p in photos.photos],
                              more=photos.next_page is not None)
        hits = (_PixabayVideos if kind == "video" else _PixabayPhotos).model_validate(body)
        return SearchPage(items=[hit.item() for hit in hits.hits],
                          more=page * max(3, per_page) < hits.total)

    def check_access(self) -> None:
        """Ask one small search, uncached: raises StockKeyRefused or StockUnavailable when
        the key is refused or the provider cannot be reached. A rate-limited answer passes:
        the key is good."""
        if self.info.name == "pexels":
            url, params = self.base_url + "/v1/search", {"query": "nature", "per_page": 1}
        else:
            url, params = self.base_url + "/", {"q": "nature", "per_page": 3}
        response = self._request(url, params)
        if response.status_code != 429:
            self._raise_for(response)

    def _cached_get(self, url: str, params: dict[str, Any]) -> Any:
        path = _cache_file("search", url, params).with_suffix(".json")
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if time.time() - stored["fetched"] < SEARCH_CACHE_SECONDS:
                return stored["body"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        body = self._get(url, params)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({"fetched": time.time(), "body": body}), encoding="utf-8")
        return body

    def _request(self, url: str, params: dict[str, Any]) -> httpx.Response:
        """GET with the key where the provider wants it; a network failure raises
        StockUnavailable."""
        headers = {}
        if self.info.name == "pexels":
            headers["Authorization"] = self.key
        else:
            params = {"key": self.key, **params}
        try:
            return self.http.get(url, params=params, headers=headers)
        except httpx.TransportError as error:
            raise StockUnavailable(
                f"cannot reach {self.info.title} at {self.base_url} ({error or type(error).__name__}): "
                "check the network, or use another generator") from error

    def _get(self, url: str, params: dict[str, Any]) -> Any:
        for attempt in range(RATE_RETRIES + 1):
            response = self._request(url, params)
            if response.status_code == 429 and attempt < RATE_RETRIES:
                self._wait(response, attempt)
                continue
            self._raise_for(response)
            try:
                return response.json()
            except ValueError as error:
                raise StockError(f"{self.info.title} answered something that is not JSON "
                                 f"(from {url})") from error
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, response: httpx.Response, attempt: int) -> None:
        """Wait as long as the provider asks (doubling from 1 s when it does not say), up
        to `max_wait`; a longer wait raises StockError saying when to try again."""
        seconds = retry_seconds(response.headers, time.time())
        if seconds is None:
            seconds = float(2 ** attempt)
        if seconds > self.max_wait:
            raise StockError(f"{self.info.title}'s rate limit for this key is used up; it "
                             f"resets in {_in_words(seconds)}. Render again then (finished "
                             "shots are kept), or use the other provider")
        self.sleep(seconds)

    def _raise_for(self, response: httpx.Response) -> None:
        code, info = response.status_code, self.info
        if code < 400:
            return
        response.read()  # a streamed answer's body is read only on request
        text = response.text[:200].strip()
        refused = code in (401, 403) or (info.name == "pixabay" and code == 400
                                         and "key" in text.lower())
        if refused:
            raise StockKeyRefused(f"{info.title} refused the API key in {info.key_variable} "
                                  f"(HTTP {code}): check it at {info.signup}")
        if code == 429:
            raise StockError(f"{info.title} keeps answering 'too many requests'; render "
                             "again in a while (finished shots are kept)")
        raise StockError(f"{info.title} answered HTTP {code}: {text or response.reason_phrase}")

    def download(self, url: str, progress: ProgressCallback | None = None) -> Path:
        """The file at `url`, fetched once into the user cache (named by the URL's hash).

        An interrupted download leaves a .part file that the next call continues with an
        HTTP Range request; a server that ignores the range sends the whole file again.
        Processes and threads fetching the same URL wait for each other.
        """
        suffix = Path(urlsplit(url).path).suffix.lower()[:6]
        target = _cache_file("media", url).with_suffix(suffix)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        with FileLock(str(part) + ".lock"):
            for attempt in range(DOWNLOAD_TRIES):
                if target.exists():
                    return target
                try:
                    if self._fetch(url, part, progress):
                        os.replace(part, target)
                        return target
                except httpx.TransportError as error:
                    if attempt == DOWNLOAD_TRIES - 1:
                        raise StockUnavailable(
                            f"downloading {url} from {self.info.title} broke off "
                            f"({error or type(error).__name__}); render again to resume it") from error
        raise StockError(f"downloading {url} from {self.info.title} did not complete; render "
                         "again to resume it")

    def _fetch(self, url: str, part: Path, progress: ProgressCallback | None) -> bool:
        """Continue `part` from `url`; True when it holds the whole file."""
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        for attempt in range(RATE_RETRIES + 1):
            with self.http.stream("GET", url, headers=headers) as response:
                if response.status_code == 429 and attempt < RATE_RETRIES:
                    self._wait(response, attempt)
                    continue
                if response.status_code == 416:  # nothing after `have`: complete, or stale
                    whole = response.headers.get("Content-Range", "").rpartition("/")[2]
                    if whole.isdigit() and int(whole) == have:
                        return True
                    part.unlink(missing_ok=True)
                    return False
                self._raise_for(response)
                resumed = response.status_code == 206
                total = self._total(response, have if resumed else 0)
                done = have if resumed else 0
                with open(part, "ab" if resumed else "wb") as handle:
                    for chunk in response.iter_bytes():  # as it arrives: a break keeps it
                        handle.write(chunk)
                        done += len(chunk)
                        if progress and total:
                            progress(min(1.0, done / total))
                return total is None or done == total
        return False

    @staticmethod
    def _total(response: httpx.Response, offset: int) -> int | None:
        """The whole file's size, when the answer says it."""
        whole = response.headers.get("Content-Range", "").rpartition("/")[2]
        if whole.isdigit():
            return int(whole)
        length = response.headers.get("Content-Length")
        return offset + int(length) if length and length.isdigit() else None


_ACCESS: dict[tuple[str, str, str], tuple[float, type[StockUnavailable] | None, str]] = {}
_ACCESS_LOCK = threading.Lock()


def check_access(provider: Provider) -> None:
    """Raise StockUnavailable (StockKeyRefused for a refused key) when `provider` cannot be
    used from here. The answer is remembered for a few minutes per key and address, so a
    render that asks for every shot asks the network once."""
    key = api_key(provider)
    memo = (provider, provider_url(provider), hashlib.sha256(key.encode("utf-8")).hexdigest())
    with _ACCESS_LOCK:
        known = _ACCESS.get(memo)
    if known is None or time.monotonic() - known[0] > ACCESS_CHECK_SECONDS:
        problem: type[StockUnavailable] | None = None
        message = ""
        try:
            with StockClient(provider) as client:
                client.check_access()
        except StockUnavailable as error:
            problem, message = type(error), str(error)
        except StockError:
            pass  # it answered (a server error, say): the key may well be good
        known = (time.monotonic(), problem, message)
        with _ACCESS_LOCK:
            _ACCESS[memo] = known
    if known[1] is not None:
        raise known[1](known[2])
