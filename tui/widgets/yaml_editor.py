"""storyboard.yaml in an editor: saving validates first, errors show at their lines, an
invalid edit never replaces the good file, and earlier versions can be restored.

The file may also change under it (the chat tab, a new take, `storyreel chat` in another
terminal): with no unsaved edits the editor follows the file; with unsaved edits it says so,
and saving over the other version needs a second ctrl+s (that version is kept in history).
Saving may wait for another program's edit (the storyboard's lock), so it runs in a worker."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from storyreel.storyboards import StoryboardError, edits
from storyreel.storyboards.atomic import backups

from ..messages import StoryboardSaved

DISK_CHECK_SECONDS = 1.0


class YamlEditor(Vertical):
    DEFAULT_CSS = """
    YamlEditor TextArea { height: 1fr; }
    YamlEditor #problems { height: auto; max-height: 6; color: $error; }
    YamlEditor #problems.ok { color: $success; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+o", "previous_version", "Older version"),
        Binding("ctrl+l", "reload", "Reload"),
    ]

    def __init__(self, editor: edits.StoryboardEditor, **kwargs) -> None:
        super().__init__(**kwargs)
        self.editor = editor
        self.path = editor.path
        self._restore_index = 0
        self._on_disk = ""  # the file's text when last loaded or saved here
        self._overwrite = False  # the next save may replace a version made elsewhere
        self._saving = False  # a save is in its worker: the file changing is our own doing

    def compose(self) -> ComposeResult:
        self._on_disk = self.path.read_text(encoding="utf-8")
        yield TextArea.code_editor(self._on_disk, language="yaml", id="yaml", soft_wrap=True)
        yield Static("", id="problems", markup=False)

    def on_mount(self) -> None:
        self.set_interval(DISK_CHECK_SECONDS, self._follow_the_file)

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#yaml", TextArea)

    def _say(self, message: str, ok: bool) -> None:
        problems = self.query_one("#problems", Static)
        problems.set_class(ok, "ok")
        problems.update(message)

    def _load(self, text: str) -> None:
        cursor = self.text_area.cursor_location
        self.text_area.load_text(text)
        self.text_area.move_cursor(cursor)
        self._on_disk, self._overwrite = text, False

    def _follow_the_file(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return
        if text == self._on_disk or self._overwrite or self._saving:
            return
        if self.text_area.text == self._on_disk:  # nothing unsaved: show the new version
            self._load(text)
            self._say(f"{self.path.name} was changed elsewhere; showing the new version",
                      ok=True)
            self.post_message(StoryboardSaved())
        else:
            self._overwrite = True
            self._say(f"{self.path.name} was changed elsewhere (chat, a new take or another "
                      "program): ctrl+l loads it and drops your edits; ctrl+s saves yours over "
                      "it (that version is kept in history)", ok=False)

    def action_save(self) -> None:
        if self._saving:
            return
        self._saving = True
        self.save(self.text_area.text, None if self._overwrite else self._on_disk)

    @work(thread=True, group="save")
    def save(self, text: str, expected: str | None) -> None:
        try:
            self.editor.replace_text(text, expected=expected)
        except edits.ChangedOnDisk:
            self.app.call_from_thread(self._changed_on_disk)
        except StoryboardError as error:
            self.app.call_from_thread(self._invalid, error)
        except (edits.EditError, OSError) as error:
            self.app.call_from_thread(self._not_saved, str(error))
        else:
            self.app.call_from_thread(self._saved, text)

    def _saved(self, text: str) -> None:
        self._saving = False
        self._on_disk, self._overwrite, self._restore_index = text, False, 0
        self._say(f"saved {self.path.name} (previous version kept)", ok=True)
        self.post_message(StoryboardSaved())

    def _changed_on_disk(self) -> None:
        self._saving, self._overwrite = False, True
        self._say(f"not saved: {self.path.name} was changed elsewhere since it was loaded. "
                  "ctrl+s again saves yours over it (that version is kept in history); "
                  "ctrl+l loads it", ok=False)

    def _invalid(self, error: StoryboardError) -> None:
        self._not_saved(str(error))
        first = error.problems[0]
        if first.line:
            self.text_area.move_cursor((first.line - 1, max(0, (first.column or 1) - 1)))

    def _not_saved(self, error: str) -> None:
        self._saving = False
        self._say(f"not saved: {error}", ok=False)

    def action_reload(self) -> None:
        self._load(self.path.read_text(encoding="utf-8"))
        self._say("reloaded from disk", ok=True)

    def action_previous_version(self) -> None:
        """Load the next-older saved version into the editor (save to keep it)."""
        history = self.editor.backup_dir
        versions = backups(self.path, history) if history else []
        if self._restore_index >= len(versions):
            self._say("no older version", ok=False)
            return
        version = versions[self._restore_index]
        self._restore_index += 1
        self.text_area.load_text(version.read_text(encoding="utf-8"))
        self._say(f"loaded {version.name}; ctrl+s to restore it", ok=True)
