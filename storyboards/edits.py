"""Edits of a storyboard file that keep the user's comments, order and quoting.

Each edit changes the round-trip document in place, validates, and writes atomically with the
previous version kept; an edit that would make the storyboard invalid changes nothing. The
agent's tools, the CLI and the TUI all edit through this class; with a lock file, edits from
several programs at once (the studio and a `storyreel chat` beside it) never undo each other.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .atomic import write_text_atomic
from .errors import StoryboardError, UserError
from .model import Storyboard
from .paths import inside_project
from .yaml_io import load_storyboard, parse_document, save_document, validate_document

LOCK_WAIT_SECONDS = 10.0


class EditError(UserError, ValueError):
    """An edit that cannot be made; the message says why, for a person or a model."""


class ChangedOnDisk(EditError):
    """The file changed after the text being saved was read from it."""


def _serialised(method):
    """One edit at a time: an agent may run several tool calls at once, other programs may
    edit too, and each edit is a read-modify-write of the same file."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock, self._other_programs_wait():
            return method(self, *args, **kwargs)
    return locked


class StoryboardEditor:
    def __init__(self, path: Path | str, backup_dir: Path | None = None,
                 lock_path: Path | None = None):
        self.path = Path(path)
        self.backup_dir = backup_dir
        self._lock = threading.RLock()
        self._file_lock = FileLock(lock_path, timeout=LOCK_WAIT_SECONDS) if lock_path else None

    @contextmanager
    def _other_programs_wait(self) -> Iterator[None]:
        if self._file_lock is None:
            yield
            return
        Path(self._file_lock.lock_file).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._file_lock.acquire()
        except Timeout:
            raise EditError(f"{self.path.name} is being changed by another program; "
                            "try again in a moment") from None
        try:
            yield
        finally:
            self._file_lock.release()

    def load(self) -> tuple[Storyboard, CommentedMap]:
        return load_storyboard(self.path)

    def _commit(self, doc: CommentedMap) -> Storyboard:
        try:
            board = validate_document(doc, self.path)
        except StoryboardError as error:
            raise EditError(f"that edit would make the storyboard invalid: {error}") from None
        save_document(doc, self.path, self.backup_dir)
        return board

    @_serialised
    def replace_text(self, text: str, expected: str | None = None) -> Storyboard:
        """Save a person's edit of the whole file, validated first. With `expected` (the text
        the edit started from), refuse if the file changed since: someone else edited it."""
        board = validate_document(parse_document(text, self.path), self.path)
        if expected is not None and self.path.read_text(encoding="utf-8") != expected:
            raise ChangedOnDisk(f"{self.path.name} changed on disk after it was loaded")
        write_text_atomic(self.path, text, self.backup_dir)
        return board

    def _shots(self, doc: CommentedMap) -> list:
        return doc["shots"]

    def _index(self, doc: CommentedMap, shot_id: str) -> int:
        for index, shot in enumerate(self._shots(doc)):
            if shot.get("id") == shot_id:
                return index
        known = ", ".join(str(s.get("id")) for s in self._shots(doc))
        raise EditError(f"no shot with id {shot_id!r}; shots are: {known}")

    def _free_id(self, doc: CommentedMap, wanted: str) -> str:
        taken = {s.get("id") for s in self._shots(doc)}
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", wanted).strip("-")[:40] or "shot"
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    @_serialised
    def set_fields(self, shot_id: str, **fields: Any) -> Storyboard:
        """Set fields of one shot (narration, visual, title, camera, transition, duration,
        asset); None removes a field. Generator fields go through `set_generator`."""
        _, doc = self.load()
        shot = self._shots(doc)[self._index(doc, shot_id)]
        for key, value in fields.items():
            if value is None:
                shot.pop(key, None)
            else:
                shot[key] = value
        return self._commit(doc)

    def _project_file(self, relative: str) -> str:
        """`relative` as the project-relative path of a file that exists inside the project
        (the storyboard's folder); anything else is refused."""
        root = self.path.resolve().parent
        target = inside_project(root, relative)
        if target is None:
            raise EditError(f"{relative!r} is outside the project folder {root}; only files "
                            "inside it can be used")
        if not target.is_file():
            raise EditError(f"{relative!r} does not exist in the project folder {root}")
        return target.relative_to(root).as_posix()

    @_serialised
    def set_asset(self, shot_id: str, relative: str | None) -> Storyboard:
        """Use a file inside the project (the storyboard's folder) for a shot; None clears."""
        return self.set_fields(shot_id, asset=None if relative is None
                               else self._project_file(relative))

    @_serialised
    def set_generator(self, shot_id: str, **fields: Any) -> Storyboard:
        _, doc = self.load()
        shot = self._shots(doc)[self._index(doc, shot_id)]
        generator = shot.setdefault("generator", CommentedMap())
        for key, value in fields.items():
            generator[key] = value
        return self._commit(doc)

    @_serialised
    def set_top(self, key: str, value: Any, merge: bool = True) -> Storyboard:
        """Set a top-level key; mappings (voice, music, format, subtitles) are merged."""
        _, doc = self.load()
        if merge and isinstance(value, dict) and isinstance(doc.get(key), dict):
            for sub_key, sub_value in value.items():
                doc[key][sub_key] = sub_value
        else:
            doc[key] = value
        return self._commit(doc)

    @_serialised
    def add_shot(self, narration: str, visual: str, after: str | None = None,
                 shot_id: str | None = None, **fields: Any) -> tuple[Storyboard, str]:
        """Insert a shot after `after` (or at the end); returns the new shot's id."""
        _, doc = self.load()
        new_id = self._free_id(doc, shot_id or (visual or narration).split(",")[0][:30].lower())
        shot = CommentedMap(id=new_id, narration=narration, visual=visual)
        shot.update({k: v for k, v in fields.items() if v is not None})
        position = self._index(doc, after) + 1 if after else len(self._shots(doc))
        self._shots(doc).insert(position, shot)
        return self._commit(doc), new_id

    @_serialised
    def remove_shot(self, shot_id: str) -> Storyboard:
        _, doc = self.load()
        if len(self._shots(doc)) == 1:
            raise EditError("cannot remove the only shot; a storyboard needs at least one")
        del self._shots(doc)[self._index(doc, shot_id)]
        return self._commit(doc)

    @_serialised
    def move_shot(self, shot_id: str, position: int) -> Storyboard:
        """Move a shot to `position` (1 = first)."""
        _, doc = self.load()
        shots = self._shots(doc)
        if not 1 <= position <= len(shots):
            raise EditError(f"position must be between 1 and {len(shots)}")
        shot = shots.pop(self._index(doc, shot_id))
        shots.insert(position - 1, shot)
        return self._commit(doc)

    @_serialised
    def split_shot(self, shot_id: str, first_narration: str | None = None,
                   second_narration: str | None = None) -> tuple[Storyboard, list[str]]:
        """Split a shot in two (at the sentence nearest the middle, unless the two
        narrations are given); ids become ID-a and ID-b."""
        _, doc = self.load()
        index = self._index(doc, shot_id)
        shot = self._shots(doc)[index]
        narration = str(shot.get("narration", ""))
        if first_narration is None or second_narration is None:
            first_narration, second_narration = _halves(narration)
        if not first_narration.strip() or not second_narration.strip():
            raise EditError(f"shot {shot_id!r} has too little narration to split")
        # A deep copy: a shared mapping or list would be written as a YAML anchor and alias,
        # and an edit of one half would change the other.
        second = copy.deepcopy(shot)
        second["id"] = self._free_id(doc, f"{shot_id}-b")
        second["narration"] = second_narration.strip()
        shot["id"] = self._free_id(doc, f"{shot_id}-a")
        shot["narration"] = first_narration.strip()
        self._shots(doc).insert(index + 1, second)
        return self._commit(doc), [shot["id"], second["id"]]

    @_serialised
    def merge_shots(self, first_id: str, second_id: str) -> Storyboard:
        """Join two neighbouring shots: narrations concatenated, the first shot's look kept."""
        _, doc = self.load()
        first, second = self._index(doc, first_id), self._index(doc, second_id)
        if second != first + 1:
            raise EditError(f"{second_id!r} must directly follow {first_id!r} to merge")
        shots = self._shots(doc)
        joined = f"{shots[first].get('narration', '')} {shots[second].get('narration', '')}"
        shots[first]["narration"] = joined.strip()
        if "duration" in shots[first] and shots[first]["duration"] != "auto":
            shots[first]["duration"] = "auto"
        del shots[second]
        return self._commit(doc)

    @_serialised
    def add_effect(self, shot_id: str, name: str, options: dict[str, Any] | None = None
                   ) -> Storyboard:
        """Add `{name: options}` at the end of a shot's effects. Only the entry's shape is
        checked here; the studio checks the name and options against the toolkit."""
        _, doc = self.load()
        shot = self._shots(doc)[self._index(doc, shot_id)]
        settings = CommentedMap(options or {})
        settings.fa.set_flow_style()  # `- speed: {factor: 0.5}`, one effect a line
        if not isinstance(shot.get("effects"), list):
            shot["effects"] = CommentedSeq()
        shot["effects"].append(CommentedMap({name: settings}))
        return self._commit(doc)

    @_serialised
    def remove_effect(self, shot_id: str, name: str) -> Storyboard:
        """Remove every `name` effect from a shot (with the last one, its `effects` key)."""
        _, doc = self.load()
        shot = self._shots(doc)[self._index(doc, shot_id)]
        effects = shot.get("effects") if isinstance(shot.get("effects"), list) else []
        found = [index for index, effect in enumerate(effects)
                 if isinstance(effect, dict) and name in effect]
        if not found:
            listed = ", ".join(str(next(iter(e), "?")) for e in effects if isinstance(e, dict))
            raise EditError(f"shot {shot_id!r} has no {name} effect; its effects: "
                            f"{listed or 'none'}")
        for index in reversed(found):
            del effects[index]
        if not effects:
            del shot["effects"]
        return self._commit(doc)

    def _cast(self, doc: CommentedMap) -> list:
        cast = doc.get("cast")
        return cast if isinstance(cast, list) else []

    def _member(self, doc: CommentedMap, member_id: str) -> CommentedMap:
        for member in self._cast(doc):
            if member.get("id") == member_id:
                return member
        known = ", ".join(str(m.get("id")) for m in self._cast(doc)) or "empty"
        raise EditError(f"no cast member with id {member_id!r}; the cast is: {known}")

    @_serialised
    def add_cast_member(self, member_id: str, description: str,
                        reference: str | None = None) -> Storyboard:
        """Add a character to the top-level cast; `reference` is an image in the project."""
        _, doc = self.load()
        if any(member.get("id") == member_id for member in self._cast(doc)):
            raise EditError(f"the cast already has {member_id!r}; edit it instead")
        member = CommentedMap(id=member_id, description=description)
        if reference is not None:
            member["reference"] = self._project_file(reference)
        if "cast" not in doc:
            _insert_before_shots(doc, "cast", CommentedSeq())
        doc["cast"].append(member)
        return self._commit(doc)

    @_serialised
    def edit_cast_member(self, member_id: str, description: str | None = None,
                         reference: str | None = None) -> Storyboard:
        """Change a cast member's description or reference image (None: leave as it is;
        an empty reference removes it)."""
        _, doc = self.load()
        member = self._member(doc, member_id)
        if description is not None:
            member["description"] = description
        if reference == "":
            member.pop("reference", None)
        elif reference is not None:
            member["reference"] = self._project_file(reference)
        return self._commit(doc)

    @_serialised
    def remove_cast_member(self, member_id: str) -> tuple[Storyboard, list[str]]:
        """Remove a character from the cast and from every shot that lists it (a shot left
        with nobody loses its `cast` key); returns the ids of those shots."""
        _, doc = self.load()
        self._cast(doc).remove(self._member(doc, member_id))
        if not doc["cast"]:
            del doc["cast"]
        emptied: list[str] = []
        for shot in self._shots(doc):
            cast = shot.get("cast")
            if isinstance(cast, list) and member_id in cast:
                cast.remove(member_id)
                emptied.append(str(shot.get("id")))
                if not cast:
                    del shot["cast"]
        return self._commit(doc), emptied

    @_serialised
    def set_shot_cast(self, shot_id: str, member_ids: list[str]) -> Storyboard:
        """Say who is in a shot, by cast id; an empty list: nobody from the cast."""
        _, doc = self.load()
        shot = self._shots(doc)[self._index(doc, shot_id)]
        for member_id in member_ids:
            self._member(doc, member_id)
        if member_ids:
            cast = CommentedSeq(dict.fromkeys(member_ids))
            cast.fa.set_flow_style()  # `cast: [kaldi, monk]`, as people write short lists
            shot["cast"] = cast
        else:
            shot.pop("cast", None)
        return self._commit(doc)

    @_serialised
    def set_look(self, style: str | None = None, palette: str | list[str] | None = None,
                 negative: str | None = None) -> Storyboard:
        """Set the look's style, palette or negative prompt (None: leave as it is; an empty
        value removes it)."""
        _, doc = self.load()
        if not isinstance(doc.get("look"), dict):
            _insert_before_shots(doc, "look", CommentedMap())
        look = doc["look"]
        for key, value in (("style", style), ("palette", palette), ("negative", negative)):
            if value is None:
                continue
            if not value:
                look.pop(key, None)
            elif isinstance(value, list):
                look[key] = CommentedSeq(value)
                look[key].fa.set_flow_style()
            else:
                look[key] = value
        if not look:
            del doc["look"]
        return self._commit(doc)


def _insert_before_shots(doc: CommentedMap, key: str, value: object) -> None:
    """Add a top-level key just above `shots`, so the long shot list stays last."""
    keys = list(doc)
    doc.insert(keys.index("shots") if "shots" in keys else len(keys), key, value)


def _halves(narration: str) -> tuple[str, str]:
    sentences = re.split(r"(?<=[.!?。！？])\s*", narration.strip())
    sentences = [s for s in sentences if s]
    if len(sentences) < 2:
        words = narration.split()
        middle = len(words) // 2
        return " ".join(words[:middle]), " ".join(words[middle:])
    total, running, cut = sum(len(s) for s in sentences), 0, 1
    for i, sentence in enumerate(sentences[:-1], start=1):
        running += len(sentence)
        if running >= total / 2:
            cut = i
            break
        cut = i
    return " ".join(sentences[:cut]), " ".join(sentences[cut:])
