"""One prompt composition for every picture source: look + cast + shot -> the words a model gets.

Every generator (video diffusion, text-to-image keyframes, the animatic) takes its prompt from
`compose_prompt`, so a character is described with the same words in every shot and by every
model, and the look reads the same everywhere.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, computed_field

from .model import Shot, Storyboard


class Prompt(BaseModel):
    """The prompt for one shot's picture.

    `style` is what every shot shares (look.style, the older top-level `style`, the palette);
    `subject` is this shot's own part (its cast, described, then its visual). Diffusion models
    get `positive`, both joined; the animatic reads `subject` and keeps the style apart, since
    it picks its mood from the shot's own words first.
    """

    model_config = ConfigDict(frozen=True)

    style: str
    subject: str
    negative: str
    references: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def positive(self) -> str:
        return _sentences([self.style, self.subject])


def compose_prompt(board: Storyboard, shot: Shot, visual: str | None = None) -> Prompt:
    """The prompt for `shot` of `board`, in this order: look.style, the top-level `style`
    (the older key, kept when it differs), the palette, each cast member of the shot as
    "id: description" (the same text in every shot), and the shot's visual.

    `visual` replaces `shot.visual` (the studio passes the narration's spoken text for a shot
    that describes no visual). The negative prompt is look.negative then the shot's generator
    negative_prompt; references are the shot's cast members' reference images, in cast order.
    """
    look = board.look
    styles = list(dict.fromkeys(s.strip() for s in (look.style, board.style) if s.strip()))
    palette = look.palette if isinstance(look.palette, str) else ", ".join(look.palette or [])
    if palette.strip():
        styles.append(f"palette: {palette.strip()}")
    members = [board.cast_member(member_id) for member_id in shot.cast]
    subject = [f"{member.id}: {member.description}" for member in members]
    subject.append(shot.visual if visual is None else visual)
    negative = board.generator.merged(shot.generator).negative_prompt
    negatives = dict.fromkeys(n.strip() for n in (look.negative or "", negative or "") if n.strip())
    return Prompt(style=_sentences(styles), subject=_sentences(subject),
                  negative=", ".join(negatives),
                  references=[m.reference for m in members if m.reference])


def _sentences(parts: list[str]) -> str:
    """Parts joined as sentences; a part's own closing punctuation is not doubled."""
    return ". ".join(text for part in parts if (text := part.strip().rstrip(".;, ")))
