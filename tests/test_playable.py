"""Tests for earmark.playable: copies that every browser plays, of files only Safari plays, bit for bit."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from conftest import SR, aac_in_caf, alac, full_scale_noise
from earmark.audio import load_audio
from earmark.playable import browsers_play, playable_copy

#: AIFF subtypes, the dtype libsndfile reads them exactly as, and what a copy of them must be.
AIFF_CASES = [("PCM_S8", "int16", "FLAC", "PCM_S8"), ("PCM_16", "int16", "FLAC", "PCM_16"),
              ("PCM_24", "int32", "FLAC", "PCM_24"), ("PCM_32", "int32", "WAV", "PCM_32"),
              ("FLOAT", "float32", "WAV", "FLOAT")]


@pytest.mark.parametrize(("subtype", "dtype", "kind", "kept"), AIFF_CASES)
def test_an_aiff_copy_holds_exactly_its_samples(tmp_path: Path, subtype: str, dtype: str, kind: str,
                                                kept: str) -> None:
    """8-, 16-, 24- and 32-bit integer and 32-bit float AIFF: the copy is FLAC where FLAC holds the depth,
    else WAV, and reads back as the very samples the AIFF holds (not through float32)."""
    source = tmp_path / "take.aiff"
    sf.write(source, full_scale_noise("int32" if subtype == "PCM_24" else dtype), SR, subtype=subtype, format="AIFF")
    copy = playable_copy(source)
    assert copy.exact and copy.suffix == f".{kind.lower()}"
    info = sf.info(io.BytesIO(copy.data))
    assert (info.format, info.subtype, info.channels, info.samplerate) == (kind, kept, 2, SR)
    original = sf.read(source, dtype=dtype)[0]
    np.testing.assert_array_equal(sf.read(io.BytesIO(copy.data), dtype=dtype)[0], original)


def test_a_float64_aiff_is_exact_only_when_float32_holds_it(tmp_path: Path) -> None:
    """Chromium plays no 64-bit float WAV: the copy is float32, exact when every sample is a float32, and
    says it is not when float32 rounds them."""
    fine = full_scale_noise("float64")
    coarse = fine.astype(np.float32).astype(np.float64)
    for name, data, exact in (("fine.aiff", fine, False), ("coarse.aiff", coarse, True)):
        sf.write(tmp_path / name, data, SR, subtype="DOUBLE", format="AIFF")
        copy = playable_copy(tmp_path / name)
        assert (copy.exact, copy.suffix, sf.info(io.BytesIO(copy.data)).subtype) == (exact, ".wav", "FLOAT"), name
        np.testing.assert_array_equal(sf.read(io.BytesIO(copy.data), dtype="float64")[0],
                                      data.astype(np.float32).astype(np.float64))


@pytest.mark.parametrize("bits", [16, 24])
def test_apple_lossless_becomes_flac_of_its_depth(tmp_path: Path, bits: int) -> None:
    ints = full_scale_noise("int16" if bits == 16 else "int32", seed=bits).T
    if bits == 24:
        ints = ints >> 8
    source = alac(tmp_path / "take.m4a", ints, bits=bits)
    assert not browsers_play(source)
    copy = playable_copy(source)
    assert copy.exact and copy.suffix == ".flac" and sf.info(io.BytesIO(copy.data)).subtype == f"PCM_{bits}"
    np.testing.assert_array_equal(sf.read(io.BytesIO(copy.data), dtype="int32")[0].T >> (32 - bits), ints)


def test_aac_in_a_caf_moves_into_an_m4a_packet_for_packet(tmp_path: Path) -> None:
    """Not a float WAV twenty times its size: the same AAC, in a container every browser plays."""
    t = np.arange(SR) / SR
    source = aac_in_caf(tmp_path / "memo.caf", 0.3 * np.sin(2 * np.pi * 220 * t))
    copy = playable_copy(source)
    assert copy.exact and copy.suffix == ".m4a" and len(copy.data) < 2 * source.stat().st_size
    with av.open(str(source)) as a, av.open(io.BytesIO(copy.data)) as b:
        assert b.streams.audio[0].codec_context.name == "aac"
        assert [bytes(p) for p in a.demux(a.streams.audio[0]) if p.size] == \
               [bytes(p) for p in b.demux(b.streams.audio[0]) if p.size]
    (tmp_path / "memo.m4a").write_bytes(copy.data)
    assert browsers_play(tmp_path / "memo.m4a") and not browsers_play(source)
    np.testing.assert_array_equal(load_audio(io.BytesIO(copy.data)).samples, load_audio(source).samples)


def test_which_files_browsers_play(tmp_path: Path) -> None:
    assert not browsers_play(tmp_path / "x.aif") and not browsers_play(tmp_path / "x.bin", name="take.AIFF")
    assert browsers_play(tmp_path / "x.wav") and browsers_play(tmp_path / "missing.m4a")


def test_a_copy_of_an_mp3_whose_xing_header_is_off_prints_nothing_of_the_decoders_own(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """libmpg123 prints "Warning: Xing stream size off by more than 1%" to stderr as libsndfile opens such a
    file (a tag editor grew it); making its copy keeps that out of earmark's output, as decoding it does."""
    t = np.arange(2 * SR) / SR
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    source = tmp_path / "retagged.mp3"
    sf.write(source, np.stack([tone, tone], axis=1), SR)  # LAME writes a Xing header: frames, bytes, TOC
    data = bytearray(source.read_bytes())
    at = data.index(b"Xing") + 12  # after the flags and the frame count: the stream's size in bytes
    data[at : at + 4] = struct.pack(">I", 2 * len(data))
    source.write_bytes(data)
    capfd.readouterr()
    copy = playable_copy(source)
    assert copy.suffix == ".wav" and sf.info(io.BytesIO(copy.data)).frames >= tone.size
    assert capfd.readouterr() == ("", "")
