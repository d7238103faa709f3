"""storyboard.yaml in an editor: saving validates first, errors show at their lines, an
invalid edit never replaces the good file, and earlier versions can be restored."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from storyreel.storyboards import StoryboardError, parse_document, validate_document
from storyreel.storyboards.atomic import write_text_atomic

from ..messages import StoryboardSaved


class StoryboardEditor(Vertical):
    DEFAULT_CSS = """
    StoryboardEditor TextArea { height: 1fr; }
    StoryboardEditor #problems { height: auto; max-height: 6; color: $error; }
    StoryboardEditor #problems.ok { color: $success; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+o", "previous_version", "Older version"),
        Binding("ctrl+l", "reload", "Reload"),
    ]

    def __init__(self, path: Path, history: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.history = history
        self._restore_index = 0

    def compose(self) -> ComposeResult:
        yield TextArea.code_editor(self.path.read_text(encoding="utf-8"), language="yaml",
                                   id="yaml", soft_wrap=True)
        yield Static("", id="problems")

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#yaml", TextArea)

    def _say(self, message: str, ok: bool) -> None:
        problems = self.query_one("#problems", Static)
        problems.set_class(ok, "ok")
        problems.update(message)

    def action_save(self) -> None:
        text = self.text_area.text
        try:
            validate_document(parse_document(text, self.path), self.path)
        except StoryboardError as error:
            self._say(f"not saved: {error}", ok=False)
            first = error.problems[0]
            if first.line:
                self.text_area.move_cursor((first.line - 1, max(0, (first.column or 1) - 1)))
            return
        write_text_atomic(self.path, text, self.history)
        self._restore_index = 0
        self._say(f"saved {self.path.name} (previous version kept)", ok=True)
        self.post_message(StoryboardSaved())

    def action_reload(self) -> None:
        self.text_area.load_text(self.path.read_text(encoding="utf-8"))
        self._say("reloaded from disk", ok=True)

    def action_previous_version(self) -> None:
        """Load the next-older saved version into the editor (save to keep it)."""
        versions = sorted(self.history.glob(f"{self.path.stem}.*{self.path.suffix}"),
                          reverse=True) if self.history.exists() else []
        if self._restore_index >= len(versions):
            self._say("no older version", ok=False)
            return
        version = versions[self._restore_index]
        self._restore_index += 1
        self.text_area.load_text(version.read_text(encoding="utf-8"))
        self._say(f"loaded {version.name}; ctrl+s to restore it", ok=True)
