"""Which chat model to use, and building it with LangChain's `init_chat_model`.

One setting names the model, e.g. `ollama:qwen2.5:7b`, `openai:gpt-4o-mini`, or
`openai:NAME` with OPENAI_BASE_URL for any OpenAI-compatible server (llama.cpp, vLLM,
LM Studio). It comes from --model, else STORYREEL_MODEL, else `model = "..."` in the config
file. Keys are read by the providers from their usual environment variables and are never
written anywhere by storyreel.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import platformdirs
from langchain_core.language_models import BaseChatModel

from storyreel.storyboards.errors import UserError

DEFAULT_TIMEOUT = 120.0


class LLMNotConfigured(UserError, RuntimeError):
    """No model is configured, or the configured one cannot be built."""


def config_path() -> Path:
    return Path(platformdirs.user_config_dir("storyreel")) / "config.toml"


def model_spec(explicit: str | None = None) -> str | None:
    """The configured model name, if any."""
    if explicit:
        return explicit
    if os.environ.get("STORYREEL_MODEL"):
        return os.environ["STORYREEL_MODEL"]
    path = config_path()
    if path.exists():
        with open(path, "rb") as handle:
            value = tomllib.load(handle).get("model")
        if value:
            return str(value)
    return None


HOW_TO_CONFIGURE = (
    "No language model is configured. Set one with --model or STORYREEL_MODEL, or put "
    "model = \"...\" in {config}. Examples: STORYREEL_MODEL=ollama:qwen2.5:7b (a local Ollama), "
    "STORYREEL_MODEL=openai:gpt-4o-mini with OPENAI_API_KEY, or any OpenAI-compatible server: "
    "STORYREEL_MODEL=openai:NAME OPENAI_BASE_URL=http://localhost:8080/v1 OPENAI_API_KEY=none. "
    "Without a model, `storyreel new DIR --from script.txt` still makes a storyboard from a text."
)


def make_chat_model(spec: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> BaseChatModel:
    """Build the configured chat model (raises LLMNotConfigured with the fix)."""
    from langchain.chat_models import init_chat_model

    name = model_spec(spec)
    if not name:
        raise LLMNotConfigured(HOW_TO_CONFIGURE.format(config=config_path()))
    if name.startswith("openai:") and not os.environ.get("OPENAI_API_KEY"):
        # The OpenAI client refuses to start without a key, even for a local server.
        raise LLMNotConfigured(
            f"model {name!r} needs OPENAI_API_KEY: set it to your key, or to any value (e.g. "
            "OPENAI_API_KEY=none) for a local OpenAI-compatible server at OPENAI_BASE_URL")
    try:
        return init_chat_model(name, timeout=timeout, max_retries=1, temperature=0.4)
    except (ImportError, ValueError) as error:
        raise LLMNotConfigured(
            f"cannot use model {name!r}: {error}. For Ollama: pip install langchain-ollama; "
            "for OpenAI-compatible servers: pip install langchain-openai.") from None
