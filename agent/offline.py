"""A storyboard from a script, without any language model (deterministic).

Plain text: each paragraph becomes a shot, long paragraphs are split at sentences. Markdown:
`# Title` names the video, `## Heading` titles the next shot. Visual prompts come from the
content words of the shot's first sentence.
"""

from __future__ import annotations

import re

from storyreel.tools.scripts import script_counts

from .planner import default_voice

MAX_WORDS_PER_SHOT = 40
MAX_CJK_CHARS_PER_SHOT = 70
CAMERAS = ("push-in", "pan-left", "pull-out", "pan-right", "tilt-up", "static")
STOPWORDS = set("""a an the and or but of to in on at by for with from as is are was were be been
it its this that these those then than so such into over under about after before while when
where which who whom whose what why how there here their they them he she his her we our you
your i me my not no yes do does did done can could would should will just also very more most
has have had one two""".split())


def detect_language(text: str) -> str:
    counts = script_counts(text)
    total = sum(counts.values()) or 1
    if counts.get("kana", 0) / total > 0.05:
        return "ja"
    if counts.get("han", 0) / total > 0.3:
        return "zh"
    if counts.get("hangul", 0) / total > 0.3:
        return "ko"
    return "en"


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?。！？])\s*", text) if s.strip()]


def _size(text: str, cjk: bool) -> int:
    return len(re.sub(r"\s", "", text)) if cjk else len(text.split())


def _chunks(paragraph: str, cjk: bool) -> list[str]:
    limit = MAX_CJK_CHARS_PER_SHOT if cjk else MAX_WORDS_PER_SHOT
    chunks, current = [], ""
    for sentence in _sentences(paragraph):
        joined = f"{current}{'' if cjk else ' '}{sentence}".strip()
        if current and _size(joined, cjk) > limit:
            chunks.append(current)
            current = sentence
        else:
            current = joined
    return chunks + ([current] if current else [])


def visual_from(text: str, cjk: bool) -> str:
    first = _sentences(text)[0] if _sentences(text) else text
    if cjk:
        return re.sub(r"[，。！？、；：\s]", " ", first).strip()[:24]
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", first) if w.lower() not in STOPWORDS]
    return " ".join(words[:8]).lower() or first[:60]


def _slug(text: str, taken: set[str], index: int) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    base = "-".join(words[:3]) or f"shot-{index}"
    slug, n = base[:40], 2
    while slug in taken:
        slug, n = f"{base[:36]}-{n}", n + 1
    taken.add(slug)
    return slug


def storyboard_from_script(text: str, title: str | None = None,
                           language: str | None = None) -> dict:
    """Storyboard data from a plain-text or markdown script."""
    language = language or detect_language(text)
    cjk = language in {"zh", "ja"}
    heading: str | None = None
    pieces: list[tuple[str | None, str]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        body: list[str] = []
        for line in lines:
            if match := re.match(r"^(#{1,6})\s+(.*)$", line):
                if len(match.group(1)) == 1 and title is None:
                    title = match.group(2).strip()
                else:
                    heading = match.group(2).strip()
            else:
                body.append(re.sub(r"^[-*>]\s+", "", line))
        paragraph = ("" if cjk else " ").join(body).strip()
        for chunk in _chunks(paragraph, cjk) if paragraph else []:
            pieces.append((heading, chunk))
            heading = None
    if not pieces:
        raise ValueError("the script has no text to narrate")
    title = title or (" ".join(pieces[0][1].split()[:6]) if not cjk else pieces[0][1][:12])
    taken: set[str] = set()
    shots = []
    for index, (shot_title, narration) in enumerate(pieces):
        visual = visual_from(narration, cjk)
        shot = {"id": _slug(shot_title or visual, taken, index + 1), "narration": narration,
                "visual": visual, "camera": CAMERAS[index % len(CAMERAS)],
                "transition": "fade-black" if index % 3 == 2 else "crossfade"}
        if shot_title or index == 0:
            shot = {"id": shot["id"], "title": shot_title or title, **{
                k: v for k, v in shot.items() if k != "id"}}
        shots.append(shot)
    return {
        "version": 1, "title": title, "language": language,
        "format": {"aspect": "16:9", "height": 720, "fps": 24},
        "style": "clean documentary, soft light",
        "voice": default_voice(language),
        "music": {"source": "auto", "gain_db": -18, "duck": True},
        "subtitles": {"burn": True, "style": "karaoke", "max_chars": 16 if cjk else 42},
        "shots": shots,
    }
