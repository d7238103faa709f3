"""The storyboard: the public contract between the human, the agent and the studio.

Key names listed in DESIGN.md are public; add keys freely, rename none without a migration.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

SHOT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"

Camera = Literal[
    "auto", "static", "push-in", "pull-out", "pan-left", "pan-right", "tilt-up", "tilt-down"
]
Transition = Literal[
    "cut", "crossfade", "fade-black", "slide-left", "slide-right", "slide-up", "slide-down"
]
Aspect = Literal["16:9", "9:16", "1:1", "4:5"]
# Diffusion speed settings (GeneratorSpec): a backend's weights and schedule, diffusers' step
# caches, and attention kernels.
Preset = Literal["final", "draft"]
StepCache = Literal["none", "first-block", "taylorseer"]
Attention = Literal["sdpa", "flash", "flash3", "sage", "xformers", "cudnn"]

ASPECT_RATIOS: dict[str, tuple[int, int]] = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1),
                                             "4:5": (4, 5)}

# Per-shot effects: capability names and their option names. Which names exist, and what each
# option takes, is the toolkit's registry (storyboards/ imports no other layer): the studio
# checks that at its line before a render, and injects each effect's options into the schema.
EFFECT_NAME = r"^[a-z][a-z0-9-]{0,39}$"
OPTION_NAME = r"^[a-z][a-z0-9_]{0,39}$"
EFFECT_SHAPE = "one name with its options, e.g. {speed: {factor: 0.5}}, or {speed: 0.5}"


_CAMERA_MODIFIERS = {"slow", "slowly", "gentle", "gently", "fast", "quick", "smooth", "subtle"}
_CAMERA_SYNONYMS = {"zoom-in": "push-in", "dolly-in": "push-in", "zoom-out": "pull-out",
                    "dolly-out": "pull-out", "push": "push-in", "pull": "pull-out",
                    "still": "static", "locked-off": "static", "none": "static",
                    "pan": "pan-right", "tilt": "tilt-up"}


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in word)


def _camera_phrase() -> str:
    """A regular expression for every way of writing a camera move that `Shot` accepts
    ('Slow push-in', 'zoom_out', 'pan left gently'), so the JSON Schema and the validator
    accept the same words: words split by spaces, '-' or '_', in any case, with modifiers
    anywhere, naming a move or a synonym."""
    sep = r"[\s_-]+"
    modifier = "(?:" + "|".join(_any_case(w) for w in sorted(_CAMERA_MODIFIERS)) + ")"
    moves = sorted({*get_args(Camera), *_CAMERA_SYNONYMS})
    between = f"{sep}(?:{modifier}{sep})*"
    move = "(?:" + "|".join(between.join(_any_case(w) for w in m.split("-")) for m in moves) + ")"
    return rf"^\s*(?:{modifier}{sep})*{move}(?:{sep}{modifier})*\s*$"


CAMERA_PHRASE = _camera_phrase()


def _seconds_or_auto(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    """One error in the user's words instead of one per member of the union; a number out
    of range keeps the error that names the bound."""
    try:
        return handler(value)
    except ValidationError:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise
        raise PydanticCustomError("seconds_or_auto",
                                  "Input should be a number of seconds or 'auto'") from None


def _one_effect(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    """One error in the user's words for an entry that is not `{name: options}`, instead of
    one per member of the union of option forms."""
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError("effect_shape", "an effect is " + EFFECT_SHAPE) from None


EffectValue = dict[Annotated[str, Field(pattern=OPTION_NAME)], Any] | float | str
Effect = Annotated[
    dict[Annotated[str, Field(pattern=EFFECT_NAME)], EffectValue],
    Field(min_length=1, max_length=1), WrapValidator(_one_effect),
    WithJsonSchema({
        "type": "object", "minProperties": 1, "maxProperties": 1,
        "propertyNames": {"pattern": EFFECT_NAME},
        "additionalProperties": {"anyOf": [
            {"type": "object", "propertyNames": {"pattern": OPTION_NAME}},
            {"type": "number"}, {"type": "string"}]},
        "description": "An effect: " + EFFECT_SHAPE})]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not be silently ignored. Values are not coerced
    ('720' is text, not a number; 'yes' is not true), as in the JSON Schema, so an editor
    using the schema and `storyreel validate` accept the same files."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True)


class Format(Strict):
    aspect: Aspect = "16:9"
    height: Annotated[int, Field(ge=144, le=4320, description=(
        "Resolution class, as in 720p: the shorter side in pixels, whatever the aspect "
        "(16:9 at 720 is 1280x720, 9:16 at 720 is 720x1280)"))] = 720
    fps: Annotated[int, Field(ge=8, le=60)] = 24

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), both even, as H.264 with yuv420p requires."""
        w_ratio, h_ratio = ASPECT_RATIOS[self.aspect]
        if w_ratio >= h_ratio:
            height = self.height - self.height % 2
            width = round(height * w_ratio / h_ratio / 2) * 2
        else:
            # For portrait formats `height` names the short side, so 9:16 at 720 is 720x1280.
            width = self.height - self.height % 2
            height = round(width * h_ratio / w_ratio / 2) * 2
        return width, height


class Voice(Strict):
    engine: Literal["piper", "coqui"] = "piper"
    voice: str = Field("en_US-joe-medium", description="Piper voice name or .onnx path; "
                       "for coqui a model name or local model folder")
    rate: Annotated[float, Field(gt=0.25, le=4.0, description="Speaking speed; 1.0 = normal")] = 1.0
    speaker_wav: str | None = Field(None, description="coqui: reference clip for voice cloning")
    speaker: str | None = Field(None, description="Speaker name of a multi-speaker voice")


class Music(Strict):
    source: str = Field("auto", description="'auto' (generated ambient bed), 'none', or a file")
    gain_db: Annotated[float, Field(ge=-60, le=0)] = -18.0
    duck: bool = True


class Ambience(Strict):
    """The shots' own sound, played under the narration: what a generator makes with the
    picture (LTX-2) and the sound of the user's video clips."""

    source: Literal["shots", "none"] = Field(
        "shots", description="'shots': the shots' own sound; 'none': narration and music only")
    gain_db: Annotated[float, Field(ge=-60, le=0)] = -12.0
    duck: bool = True


class Subtitles(Strict):
    burn: bool = True
    style: Literal["plain", "karaoke"] = "karaoke"
    max_chars: Annotated[int, Field(ge=8, le=120)] = 42


class GeneratorSpec(Strict):
    name: str = "auto"
    model: str | None = Field(None, description="Hub id or local folder (diffusion generators)")
    seed: int | None = None
    steps: Annotated[int, Field(ge=1, le=200)] | None = None
    guidance: Annotated[float, Field(ge=0, le=30)] | None = None
    negative_prompt: str | None = None
    dtype: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    offload: bool = Field(False, description="CPU offload: slower, for small GPUs")
    compile: bool = Field(False, description=(
        "torch.compile the denoiser's repeated blocks (diffusers' regional compile, default "
        "mode): the first shot of each size pays the compile time, later steps run faster"))
    preset: Preset = Field("final", description=(
        "Diffusion speed and quality: 'final' is the backend's full model and steps; 'draft' "
        "a few-step distilled checkpoint or LoRA where the backend has one, several times "
        "faster, for previews. `model`, `steps` and `guidance` still override it"))
    cache: StepCache = Field("none", description=(
        "Reuse the denoiser's work between steps (diffusers' First-Block Cache or "
        "TaylorSeer): faster, slightly different pictures"))
    attention: Attention = Field("sdpa", description=(
        "Attention kernels on a CUDA GPU: PyTorch's own (sdpa), or flash, flash3, sage, "
        "xformers when installed, cudnn; one that cannot be used falls back to sdpa with a "
        "note"))
    fast_decode: bool = Field(False, description=(
        "Decode with the VAE in bf16 on a CUDA GPU (Wan otherwise keeps its VAE in float32, "
        "as its model card advises)"))
    height: Annotated[int, Field(ge=16, le=2160)] | None = Field(
        None, description="Generation height (diffusion); the clip is scaled to the video size")
    reference_image: str | None = Field(
        None, description="Image in the project that shots without an asset start from, so "
        "characters and look stay alike (image-to-video backends)")
    provider: Literal["pexels", "pixabay"] | None = Field(
        None, description="Stock library of the stock generator (its key from PEXELS_API_KEY or "
        "PIXABAY_API_KEY); unset: whichever has a key, Pexels first")

    def merged(self, shot: GeneratorSpec) -> GeneratorSpec:
        """This (project-level) spec with the fields a shot set explicitly on top."""
        return self.model_copy(update=shot.model_dump(exclude_unset=True))


class CastMember(Strict):
    """A character (or a recurring object) described once, so every shot shows the same one."""

    id: Annotated[str, Field(pattern=SHOT_ID_PATTERN,
                             description="Name shots use in their `cast` list: 'kaldi'")]
    description: Annotated[str, Field(pattern=r"\S", description=(
        "How the character looks, added word for word to the picture prompt of every shot "
        "it is in: 'a young Ethiopian goat herder in a red cloak'"))]
    reference: str | None = Field(
        None, description="Image inside the project folder showing the character, for "
        "picture models that take reference images")

    @field_validator("description")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class Look(Strict):
    """The visual bible: words every picture prompt starts with, and what no picture shows."""

    style: str = Field("", description="Style words that open every picture prompt: "
                       "'hand-painted watercolour, soft morning light'. The older top-level "
                       "`style` is added after these")
    palette: str | list[str] | None = Field(
        None, description="Colours, as words ('ochre and deep green') or a list of names "
        "or hex codes (['#c0392b', 'cream'])")
    negative: str | None = Field(None, description="What no picture should show (negative "
                                 "prompt), added to a generator's own negative_prompt")


KeyframeModel = Literal["flux-schnell", "sdxl", "sdxl-turbo", "sd3.5", "sd-turbo"]


class Keyframes(Strict):
    """The text-to-image model that makes a still (keyframe) for each shot first."""

    name: KeyframeModel = Field(description="Text-to-image model family")
    model: str | None = Field(None, description="Hub id or local folder; default: the "
                              "family's usual checkpoint")
    steps: Annotated[int, Field(ge=1, le=200)] | None = None
    guidance: Annotated[float, Field(ge=0, le=30)] | None = None
    width: Annotated[int, Field(ge=64, le=4096)] | None = Field(
        None, description="Picture width in pixels; default: from the video format")
    height: Annotated[int, Field(ge=64, le=4096)] | None = Field(
        None, description="Picture height in pixels; default: from the video format")


class ShotKeyframe(Strict):
    seed: int | None = Field(None, description="Seed of this shot's keyframe; default: "
                             "derived from the storyboard")


class Shot(Strict):
    # The schema's side of `_has_content`: narration that is not blank, or seconds.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["narration"], "properties": {"narration": {"pattern": r"\S"}}},
        {"required": ["duration"], "properties": {"duration": {"type": "number"}}},
    ]})

    id: Annotated[str, Field(pattern=SHOT_ID_PATTERN, description="Stable id; files use it")]
    narration: str = ""
    visual: str = ""
    title: str | None = Field(None, description="On-screen title of a designed shot")
    sound: str = Field("", description="What is heard besides the narration, for generators "
                       "that make sound (ltx-2): 'waves on pebbles, distant gulls'")
    duration: Annotated[Annotated[float, Field(gt=0, le=600)] | Literal["auto"],
                        WrapValidator(_seconds_or_auto)] = Field(
        "auto", description="Seconds, or 'auto': as long as the narration plus padding")
    camera: Annotated[Camera, WithJsonSchema({
        "anyOf": [{"enum": list(get_args(Camera))}, {"type": "string", "pattern": CAMERA_PHRASE}],
        "description": "A camera move; written as people do too: 'slow push-in', 'Zoom out', "
                       "'pan left'"})] = "auto"
    transition: Transition = Field("crossfade", description="Transition into the next shot")
    asset: str | None = Field(None, description="Image or video inside the project folder")
    search: str | None = Field(None, description="What the stock generator searches for: "
                               "'espresso pouring slow motion'; unset: words of `visual`")
    generator: GeneratorSpec = Field(default_factory=GeneratorSpec)
    cast: list[Annotated[str, Field(pattern=SHOT_ID_PATTERN)]] = Field(
        default_factory=list, description="Ids of the cast members in this shot; each is "
        "described in its picture prompt")
    keyframe: ShotKeyframe = Field(default_factory=ShotKeyframe,
                                   description="This shot's keyframe (see top-level keyframes)")
    effects: list[Effect] = Field(default_factory=list, description=(
        "Effects applied to the shot's picture in order, each a per-shot tool of `storyreel "
        "tool list` with its options: [{stabilize: {}}, {speed: {factor: 0.5}}]. A single "
        "value instead of the options sets the effect's first option ({speed: 0.5} is "
        "{speed: {factor: 0.5}}). The shot keeps its length: a slower clip is cut, a shorter "
        "one holds its last frame"))

    @field_validator("camera", mode="before")
    @classmethod
    def _camera_words(cls, value: object) -> object:
        """Accept how people write camera moves: 'slow push-in', 'Zoom out', 'pan left'."""
        if not isinstance(value, str) or not re.fullmatch(CAMERA_PHRASE, value):
            return value
        words = [w for w in re.split(r"[\s_-]+", value.strip().lower())
                 if w not in _CAMERA_MODIFIERS]
        joined = "-".join(words)
        return _CAMERA_SYNONYMS.get(joined, joined)

    @field_validator("narration", "visual", "sound")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _has_content(self) -> Shot:
        if not self.narration and self.duration == "auto":
            raise ValueError("a shot without narration needs a duration in seconds")
        return self


class Storyboard(Strict):
    version: Literal[1] = 1
    title: Annotated[str, Field(min_length=1)]
    language: str = Field("en", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                          description="BCP-47 tag; drives voice, ASR and fonts")
    format: Format = Field(default_factory=Format)
    style: str = Field("", description="Style words for every visual prompt (older "
                       "form of look.style; when both are set, look.style comes first)")
    look: Look = Field(default_factory=Look, description="Style, palette and negative "
                       "prompt shared by every picture")
    cast: list[CastMember] = Field(default_factory=list, description="Characters described "
                                   "once; shots name them in their `cast` list (each id once)")
    keyframes: Keyframes | None = Field(None, description="Make a still per shot with a "
                                        "text-to-image model first; absent: no keyframes")
    voice: Voice = Field(default_factory=Voice)
    music: Music = Field(default_factory=Music)
    ambience: Ambience = Field(default_factory=Ambience)
    subtitles: Subtitles = Field(default_factory=Subtitles)
    generator: GeneratorSpec = Field(default_factory=GeneratorSpec,
                                     description="Defaults for every shot's generator")
    shots: Annotated[list[Shot], Field(min_length=1, description="The shots in order; each "
                                       "id is used once (the one rule the schema cannot say)")]

    @field_validator("version", mode="before")
    @classmethod
    def _not_true(cls, value: object) -> object:
        """`true` equals 1 to Python (so to the literal check), never to the JSON Schema."""
        if isinstance(value, bool):
            raise PydanticCustomError("literal_error", "Input should be 1")
        return value

    @field_validator("shots")
    @classmethod
    def _unique_ids(cls, shots: list[Shot]) -> list[Shot]:
        seen: set[str] = set()
        for shot in shots:
            if shot.id in seen:
                raise ValueError(f"shot id {shot.id!r} is used twice; ids must be unique")
            seen.add(shot.id)
        return shots

    @field_validator("cast")
    @classmethod
    def _unique_cast(cls, cast: list[CastMember]) -> list[CastMember]:
        ids = [member.id for member in cast]
        for member_id in ids:
            if ids.count(member_id) > 1:
                raise ValueError(f"cast id {member_id!r} is used twice; ids must be unique")
        return cast

    @model_validator(mode="after")
    def _known_cast(self) -> Storyboard:
        """Every id in a shot's `cast` names a top-level cast member; each unknown one is
        reported at its own place in the file."""
        known = [member.id for member in self.cast]
        listed = ", ".join(known) if known else "none yet; add a top-level `cast:` list"
        errors = [
            InitErrorDetails(type=PydanticCustomError(
                "unknown_cast", "'{member}' is not in the cast (cast ids: {known})",
                {"member": member_id, "known": listed}),
                loc=("shots", index, "cast", position), input=member_id)
            for index, shot in enumerate(self.shots)
            for position, member_id in enumerate(shot.cast) if member_id not in known]
        if errors:
            # A ValidationError keeps each error's location, where a ValueError would
            # place them all at the top of the file.
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    def cast_member(self, member_id: str) -> CastMember:
        for member in self.cast:
            if member.id == member_id:
                return member
        raise KeyError(member_id)

    @property
    def base_language(self) -> str:
        """Primary language subtag, lower case: 'zh' for 'zh-Hans-CN'."""
        return re.split(r"[-_]", self.language)[0].lower()

    def shot(self, shot_id: str) -> Shot:
        for shot in self.shots:
            if shot.id == shot_id:
                return shot
        raise KeyError(shot_id)


def json_schema(effects: dict[str, dict] | None = None) -> dict:
    """JSON Schema of the storyboard, for editors (yaml-language-server) and tools.

    `effects` (effect name -> the schema of its value) makes each shot's `effects` list
    name only those effects, each with its own options; without it the schema checks their
    shape, as the model does."""
    schema = Storyboard.model_json_schema()
    if effects:
        schema["$defs"]["Shot"]["properties"]["effects"]["items"] = {"oneOf": [
            {"type": "object", "properties": {name: value}, "required": [name],
             "additionalProperties": False}
            for name, value in sorted(effects.items())]}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "storyreel storyboard"
    return schema
