"""A local stand-in for the parts of the Pexels and Pixabay APIs storyreel uses: video and
photo search with pagination, key checks, rate limiting (429 with the providers' headers),
and media files served with HTTP Range support. The real client talks to it over HTTP."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from storyreel.tools.ffmpeg import run_ffmpeg


@dataclass(frozen=True)
class Media:
    """One result in the catalogue: a real file on disk."""

    id: int
    author: str
    path: Path
    width: int
    height: int
    kind: Literal["video", "photo"] = "video"
    duration: int = 0  # seconds (the providers give whole seconds)


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float


def make_video(path: Path, width: int, height: int, seconds: float, sound: bool = False,
               source: str = "testsrc2") -> Path:
    """A small real MP4 (lavfi test picture, optionally a tone)."""
    inputs = ["-f", "lavfi", "-i", f"{source}=s={width}x{height}:d={seconds}:r=24"]
    if sound:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    run_ffmpeg([*inputs, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                *(["-c:a", "aac", "-shortest"] if sound else []), str(path)])
    return path


def make_photo(path: Path, width: int, height: int) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:d=1", "-frames:v", "1",
                str(path)])
    return path


@dataclass
class StockServer:
    """Serves `catalogue` as both providers would; `key` is the one key it accepts.

    Set `rate_limited` to answer that many coming API requests (under `limited_path`) with
    429 and `limit_headers`; set `cut_after` to break off the next media download after that
    many bytes.
    """

    catalogue: list[Media]
    key: str = "test-key"
    rate_limited: int = 0
    limited_path: str = "/"
    limit_headers: dict[str, str] = field(default_factory=lambda: {"Retry-After": "1"})
    cut_after: int | None = None
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def pexels_url(self) -> str:
        return f"{self.url}/pexels"

    @property
    def pixabay_url(self) -> str:
        return f"{self.url}/pixabay/api"

    def __enter__(self) -> StockServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def searches(self) -> list[Seen]:
        return [s for s in self.seen if not s.path.startswith("/media/")]

    # -- answers --------------------------------------------------------------------------

    def media_url(self, media: Media) -> str:
        return f"{self.url}/media/{media.path.name}"

    def page_url(self, provider: str, media: Media) -> str:
        return f"https://www.{provider}.example/{media.kind}/{media.id}/"

    def _page(self, kind: str, query: dict[str, str]) -> tuple[list[Media], int, bool]:
        items = [m for m in self.catalogue if m.kind == kind]
        page = int(query.get("page", "1"))
        per_page = int(query.get("per_page", "15"))
        chosen = items[(page - 1) * per_page:page * per_page]
        return chosen, len(items), page * per_page < len(items)

    def pexels(self, route: str, query: dict[str, str]) -> dict:
        kind = "video" if route == "/videos/search" else "photo"
        chosen, total, more = self._page(kind, query)
        answer: dict = {"page": int(query.get("page", "1")), "total_results": total,
                        "per_page": int(query.get("per_page", "15"))}
        if more:
            answer["next_page"] = f"{self.pexels_url}{route}?page={answer['page'] + 1}"
        if kind == "video":
            answer["videos"] = [{
                "id": m.id, "width": m.width, "height": m.height, "duration": m.duration,
                "url": self.page_url("pexels", m), "image": "",
                "user": {"id": m.id * 10, "name": m.author,
                         "url": f"https://www.pexels.example/@{m.author.split()[0].lower()}"},
                "video_files": [{"id": m.id * 100, "quality": "hd", "file_type": "video/mp4",
                                 "width": m.width, "height": m.height, "fps": 24,
                                 "link": self.media_url(m)},
                                {"id": m.id * 100 + 1, "quality": None,
                                 "file_type": "video/mp4", "width": None, "height": None,
                                 "fps": None, "link": self.media_url(m) + ".m3u8"}],
                "video_pictures": []} for m in chosen]
        else:
            answer["photos"] = [{
                "id": m.id, "width": m.width, "height": m.height,
                "url": self.page_url("pexels", m), "photographer": m.author,
                "photographer_url": "", "alt": "",
                "src": {"original": self.media_url(m), "large2x": self.media_url(m),
                        "large": self.media_url(m)}} for m in chosen]
        return answer

    def pixabay(self, route: str, query: dict[str, str]) -> dict:
        kind = "video" if route == "/videos/" else "photo"
        chosen, total, _ = self._page(kind, query)
        hits = []
        for m in chosen:
            hit = {"id": m.id, "pageURL": self.page_url("pixabay", m), "user": m.author,
                   "user_id": m.id * 10, "tags": "test"}
            if kind == "video":
                hit |= {"duration": m.duration, "videos": {
                    "large": {"url": "", "width": 0, "height": 0, "size": 0},
                    "medium": {"url": self.media_url(m), "width": m.width, "height": m.height,
                               "size": m.path.stat().st_size}}}
            else:
                hit |= {"imageWidth": m.width, "imageHeight": m.height,
                        "largeImageURL": self.media_url(m), "webformatURL": self.media_url(m)}
            hits.append(hit)
        return {"total": total, "totalHits": total, "hits": hits}


def _handler(server: StockServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            with server._lock:
                server.seen.append(Seen(parts.path, query, dict(self.headers), time.time()))
            if parts.path.startswith("/media/"):
                self._media(parts.path.removeprefix("/media/"))
                return
            with server._lock:
                limited = server.rate_limited > 0 and parts.path.startswith(server.limited_path)
                server.rate_limited -= limited
            if limited:
                self._json(429, {"error": "Too many requests"}, server.limit_headers)
            elif parts.path.startswith("/pexels/"):
                if self.headers.get("Authorization") != server.key:
                    self._json(401, {"error": "Authentication failed"})
                    return
                self._json(200, server.pexels(parts.path.removeprefix("/pexels"), query))
            elif parts.path.startswith("/pixabay/api"):
                if query.get("key") != server.key:
                    self._text(400, "[ERROR 400] Invalid or missing API key")
                    return
                self._json(200, server.pixabay(parts.path.removeprefix("/pixabay/api"), query))
            else:
                self._text(404, "not found")

        def _media(self, name: str) -> None:
            found = [m for m in server.catalogue if m.path.name == name]
            if not found:
                self._text(404, "not found")
                return
            data = found[0].path.read_bytes()
            start, status = 0, 200
            ranged = self.headers.get("Range", "")
            if ranged.startswith("bytes="):
                start, status = int(ranged[6:].split("-")[0]), 206
            body = data[start:]
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            with server._lock:
                cut, server.cut_after = server.cut_after, None
            if cut is not None:
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def _json(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(body).encode(), "application/json", headers or {})

        def _text(self, status: int, text: str) -> None:
            self._send(status, text.encode(), "text/plain", {})

        def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler
