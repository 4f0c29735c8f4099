"""Where the suite caches the FAQ's vectors and model files across runs (no imports of the
application: ``tests/conftest.py`` reads it in the xdist controller too)."""

from __future__ import annotations

import tempfile
from pathlib import Path

#: Vectors cached across test runs: the key is the knowledge base's content and the model,
#: so a stale file is never read; it only spares recomputing them in every session.
VECTORS = Path(tempfile.gettempdir()) / "consultbot-test-faq-vectors"
