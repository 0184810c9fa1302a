"""Pixels to embeddings: safe image decoding, detection, alignment, embedding, quality, matching."""

from facegate import config

# onnxruntime's telemetry writes a device ID and an event database under ~/.cache when it is imported;
# facegate writes nothing outside its data directory, so it is switched off before anything imports it.
config.set_default("ORT_DISABLE_TELEMETRY", "1")
