"""A cache file is replaced whole or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from bot.faq.cache_files import write_atomically


def test_a_file_is_written_whole_in_a_new_directory(tmp_path: Path) -> None:
    target = tmp_path / "new" / "vectors.npy"
    write_atomically(target, lambda file: file.write(b"all of it"))
    assert target.read_bytes() == b"all of it"
    assert [p.name for p in target.parent.iterdir()] == ["vectors.npy"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "graph.onnx"
    target.write_bytes(b"old")

    def half(file: BinaryIO) -> None:
        file.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, half)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.onnx"]
