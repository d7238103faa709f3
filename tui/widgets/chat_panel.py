"""Talk to the studio agent: replies and each tool action appear as lines."""

from __future__ import annotations

from collections.abc import Callable

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, RichLog

from storyreel.agent.chat import StudioChat

from ..messages import StoryboardSaved


class ChatPanel(Vertical):
    DEFAULT_CSS = """
    ChatPanel RichLog { height: 1fr; }
    ChatPanel Input { dock: bottom; }
    """

    def __init__(self, open_session: Callable[[], StudioChat], **kwargs) -> None:
        super().__init__(**kwargs)
        self.open_session = open_session
        self.session: StudioChat | None = None

    def compose(self) -> ComposeResult:
        yield RichLog(id="log", wrap=True, markup=True)
        yield Input(placeholder="Ask the studio: 'make shot 2 funnier', 'render it'",
                    id="message")

    @property
    def log_view(self) -> RichLog:
        return self.query_one("#log", RichLog)

    def on_mount(self) -> None:
        try:
            self.session = self.open_session()
        except Exception as error:  # no model configured: explain, keep the rest usable
            self.log_view.write(f"[yellow]{escape(str(error))}[/]")
            self.query_one(Input).disabled = True
            return
        for role, text in self.session.history()[-8:]:
            self.log_view.write(f"[dim]{role}: {escape(text)}[/]")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text or self.session is None:
            return
        event.input.value = ""
        self.log_view.write(f"[b cyan]you:[/] {escape(text)}")
        self.send(text)

    @work(thread=True, exclusive=True, group="chat")
    def send(self, text: str) -> None:
        try:
            for item in self.session.send(text):
                if item.kind == "action":
                    self.app.call_from_thread(self.log_view.write, f"  [dim]- {escape(item.text)}[/]")
                    self.post_message(StoryboardSaved())
                else:
                    self.app.call_from_thread(self.log_view.write, f"[b]studio:[/] {escape(item.text)}")
        except Exception as error:
            self.app.call_from_thread(self.log_view.write, f"[red]error: {escape(str(error))}[/]")

    def on_unmount(self) -> None:
        if self.session is not None:
            self.session.close()
