"""The ``openai`` engine: any OpenAI-compatible chat completions endpoint with vision.

Modules: :mod:`.settings` (config section), :mod:`.client` (HTTP, retries, error sorting),
:mod:`.imaging` (data URL), :mod:`.parsing` (JSON answer to terms), :mod:`.pricing`
(token cost), :mod:`.retry` (backoff), :mod:`.engine` (the engine).
"""

from herbx.engines.openai.engine import OpenAIEngine
from herbx.engines.openai.settings import OpenAISettings

__all__ = ["OpenAIEngine", "OpenAISettings"]
