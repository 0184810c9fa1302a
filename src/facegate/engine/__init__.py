"""Pixels to embeddings: safe image decoding, detection, alignment, embedding, quality, matching."""

import os

# onnxruntime's telemetry writes a device ID and an event database under ~/.cache when it is imported;
# facegate writes nothing outside its data directory, so it is switched off before anything imports it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
