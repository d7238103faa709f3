"""Coqui engine on a tiny random-initialised VITS built from its config (no weights, no hub).

Runs where the `coqui` extra is installed; coqui-tts needs torchaudio, which has no build for
the CPU torch CI uses, so CI skips these with the reason below.
"""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

pytest.importorskip("TTS", reason="coqui extra not installed (needs torch + torchaudio)")

from storyreel.storyboards import dump_document, load_storyboard  # noqa: E402
from storyreel.studio.render import render  # noqa: E402
from storyreel.tools.speech import VoiceNotFound  # noqa: E402
from storyreel.tools.tts import resolve_voice, speak  # noqa: E402


def build_tiny_vits(folder: Path) -> Path:
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    args = VitsArgs(hidden_channels=16, hidden_channels_ffn_text_encoder=32,
                    num_heads_text_encoder=2, num_layers_text_encoder=1, num_layers_flow=1,
                    num_layers_posterior_encoder=1, resblock_type_decoder="2",
                    resblock_kernel_sizes_decoder=[3], resblock_dilation_sizes_decoder=[[1, 3]],
                    upsample_rates_decoder=[8, 8, 4], upsample_initial_channel_decoder=16,
                    upsample_kernel_sizes_decoder=[16, 16, 8], spec_segment_size=8)
    characters = CharactersConfig(
        characters_class="TTS.tts.models.vits.VitsCharacters", pad="_", eos="", bos="",
        blank=None, characters="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        punctuations=" !,.?-'", phonemes=None, is_unique=True, is_sorted=True)
    config = VitsConfig(model_args=args, use_phonemes=False, text_cleaner="basic_cleaners",
                        characters=characters)
    config.audio.sample_rate = 16000
    torch.manual_seed(0)
    model = Vits(config)
    folder.mkdir(parents=True)
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_vits(tmp_path_factory.mktemp("coqui") / "tiny-vits")


def use_coqui(project, model: Path, **extra) -> None:
    _, doc = load_storyboard(project.storyboard_path)
    doc["voice"] = {"engine": "coqui", "voice": str(model), **extra}
    project.storyboard_path.write_text(dump_document(doc))


def test_coqui_model_folder_speaks_and_rate_changes_tempo(short_project, tiny_model):
    use_coqui(short_project, tiny_model)
    board, _ = load_storyboard(short_project.storyboard_path)
    voice = resolve_voice(board, short_project.root)
    normal = speak(voice, "Tea begins as a green leaf.", short_project.root / "a.wav")
    slow = speak(voice, "Tea begins as a green leaf.", short_project.root / "b.wav", rate=0.5)
    with wave.open(str(normal.path)) as handle:
        assert handle.getframerate() == 16000 and handle.getnframes() > 1600
    assert slow.duration == pytest.approx(normal.duration * 2, rel=0.05)



def test_coqui_says_the_same_text_the_same_way_every_time(short_project, tiny_model):
    """VITS draws noise from torch's generator: seeded per call, a shot spoken after another
    equals the same shot spoken first."""
    use_coqui(short_project, tiny_model)
    board, _ = load_storyboard(short_project.storyboard_path)
    voice = resolve_voice(board, short_project.root)
    first = speak(voice, "Tea begins as a green leaf.", short_project.root / "a1.wav")
    speak(voice, "Then it is rolled and dried.", short_project.root / "b.wav")
    again = speak(voice, "Tea begins as a green leaf.", short_project.root / "a2.wav")
    assert first.path.read_bytes() == again.path.read_bytes()

def test_missing_coqui_model_is_never_downloaded(short_project):
    use_coqui(short_project, Path("models/not-here"))
    board, _ = load_storyboard(short_project.storyboard_path)
    with pytest.raises(VoiceNotFound, match="not found on disk"):
        resolve_voice(board, short_project.root)


def test_render_with_the_coqui_engine(short_project, tiny_model):
    use_coqui(short_project, tiny_model)
    result = render(short_project.storyboard_path)
    assert result.video.exists() and result.redone["voice"] == 3
