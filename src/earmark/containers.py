"""What a file is, by its first bytes, whatever its name says.

* :func:`audio_held`: the audio container a file is (RIFF/WAVE, fLaC, OggS, FORM/AIFF, an MP3's
  ID3 tag or two frame headers in a row, MP4's ``ftyp``, Matroska's EBML, …), to keep an upload named ``x.mp3``
  that holds WAV as ``x.wav``.
* :func:`other_held`: what a file that is not audio is (an earmark model, a zip archive, a
  picture), to say so instead of "damaged".

Both read a few kilobytes and leave the file's position where it was. What a container's bytes say about
its length, where the decoders do not tell, is read beside them: :mod:`earmark.mpegaudio` (MP3 frames),
:mod:`earmark.adts` (raw AAC frames), :mod:`earmark.matroska` (EBML elements), :mod:`earmark.ogg` (pages),
:mod:`earmark.wavsizes` (RF64/W64 written to a pipe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from .mpegaudio import after_id3, mp3_at
from .peek import read_at

__all__ = ["Held", "audio_held", "other_held"]


@dataclass(frozen=True)
class Held:
    """The audio container a file's bytes are: ``kind`` names it for a person ("WAV"), ``suffix`` is
    the ending to keep it under, and ``suffixes`` the endings that name it rightly (``.ogg`` and
    ``.opus`` are both Ogg; ``.m4a``, ``.mp4``, ``.mov`` and ``.3gp`` all MPEG-4)."""

    kind: str
    suffix: str
    suffixes: frozenset[str]


def _held(kind: str, suffix: str, *others: str) -> Held:
    return Held(kind, suffix, frozenset({suffix, *others}))


_MP4_FAMILY = (".m4a", ".mp4", ".mov", ".3gp")
#: The GUID an ASF (WMA) file opens with.
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


def _adts(head: bytes) -> Held | None:
    """AAC in ADTS frames, by the sync word at the start of ``head`` (MPEG-2/4 sync, layer 0)."""
    return _held("AAC", ".aac") if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0 else None


def _mp4_held(brand: bytes) -> Held:
    """MPEG-4 by its ``ftyp`` brand: an audio brand is ``.m4a``; QuickTime ``.mov``; 3GPP ``.3gp``; any
    other ``.mp4`` (a video, whose sound intake keeps as WAV)."""
    suffix = (".m4a" if brand[:3] in (b"M4A", b"M4B", b"M4P") else ".mov" if brand == b"qt  "
              else ".3gp" if brand[:3] in (b"3gp", b"3g2") else ".mp4")
    kind = {".m4a": "M4A", ".mov": "QuickTime", ".3gp": "3GP"}.get(suffix, "MPEG-4")
    return _held(kind, suffix, *_MP4_FAMILY)


def audio_held(stream: BinaryIO) -> Held | None:
    """The audio container ``stream`` is, by its first bytes (an MP3's after its ID3 tag), or ``None``
    where they are none that earmark knows. It says what the bytes claim to be, not that they decode."""
    head = read_at(stream, 0, 64)
    if len(head) >= 10 and head[:3] == b"ID3":  # a tag, then the audio: MP3, or now and then FLAC or AAC
        after = read_at(stream, after_id3(head), 4)
        return _held("FLAC", ".flac") if after == b"fLaC" else _adts(after) or _held("MP3", ".mp3")
    four, kind = head[:4], head[8:12]
    found = {b"fLaC": _held("FLAC", ".flac"), b"caff": _held("CAF", ".caf"), b".snd": _held("AU", ".au", ".snd")}
    if four in found:
        return found[four]
    if four in (b"RIFF", b"RF64") and kind == b"WAVE":
        return _held("WAV", ".wav", ".wave")
    if four == b"riff" and head[24:28] == b"wave":  # Sony Wave64: GUIDs, each beginning with its name
        return _held("Wave64", ".w64")
    if four == b"FORM" and kind in (b"AIFF", b"AIFC"):
        return _held("AIFF", ".aifc" if kind == b"AIFC" else ".aiff", ".aif", ".aiff", ".aifc")
    if four == b"OggS":
        opus = b"OpusHead" in head
        return _held("Ogg Opus" if opus else "Ogg", ".opus" if opus else ".ogg", ".ogg", ".oga", ".opus")
    if head[4:8] == b"ftyp":
        return _mp4_held(head[8:12])
    if four == b"\x1a\x45\xdf\xa3":  # EBML: Matroska, or WebM (its DocType says which)
        webm = b"webm" in head
        return _held("WebM" if webm else "Matroska", ".webm" if webm else ".mka", ".webm", ".mka")
    if head[:16] == _ASF_GUID:
        return _held("WMA", ".wma")
    return _adts(head) or (_held("MP3", ".mp3") if mp3_at(stream, 0) else None)


#: The most of a safetensors header read to look for an earmark manifest in it.
_MAX_HEADER_READ = 16 << 20
#: What files that are not audio open with, and what they are.
_OTHER_MAGIC = ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"\x89PNG\r\n\x1a\n", "png"),
                (b"\xff\xd8\xff", "jpeg"), (b"%PDF-", "pdf"), (b"\x1f\x8b", "gzip"), (b"GIF8", "gif"))


#: The protobuf tags that may follow an ONNX ModelProto's ir_version (field 1, a varint): producer_name,
#: producer_version, domain, model_version, doc_string, graph, opset_import (fields 2 to 8).
_ONNX_NEXT_TAGS = frozenset({0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42})


def _is_onnx(head: bytes) -> bool:
    """Whether ``head`` opens an ONNX model: ``ir_version`` first (tag 0x08, a version from 1 to 63), then
    another of ModelProto's first fields; every exporter (PyTorch's, onnx's helpers) writes them so."""
    return len(head) >= 3 and head[0] == 0x08 and 1 <= head[1] < 64 and head[2] in _ONNX_NEXT_TAGS


def other_held(stream: BinaryIO) -> str | None:
    """What ``stream`` is, by its first bytes, when it is something earmark knows that is not audio:
    ``"earmark model"`` (a safetensors file with an earmark manifest, whole or cut short),
    ``"safetensors"`` (another), ``"onnx"`` (an ONNX model, e.g. ``earmark export``'s), ``"zip"``, ``"png"``,
    ``"jpeg"``, ``"gif"``, ``"pdf"``, ``"gzip"``; else ``None``."""
    head = read_at(stream, 0, 16)
    for magic, kind in _OTHER_MAGIC:
        if head.startswith(magic):
            return kind
    if _is_onnx(head):
        return "onnx"
    # safetensors: the header's length (8 bytes, little-endian), then the header, a JSON object
    length = int.from_bytes(head[:8], "little")
    if len(head) < 10 or not 2 <= length <= 100_000_000 or head[8:10] != b'{"':
        return None
    header = read_at(stream, 8, min(length, _MAX_HEADER_READ))
    return "earmark model" if b"earmark-model" in header or b"earmark_version" in header else "safetensors"
