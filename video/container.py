"""Cheap look at a file's container before decoding, so errors can say *why* a file is unusable.

OpenCV only reports "cannot open"; this module tells a text file from a truncated MP4 or an audio-only
file by the container's magic bytes and, for MP4/MOV (ISO base media), its box structure.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ContainerInfo:
    kind: str  # "mp4", "avi", "matroska", "ogg", "mpeg", "flv", "asf", "audio", "unknown"
    problem: str | None = None  # e.g. truncation, found without decoding
    tracks: tuple[str, ...] | None = None  # MP4 handler types ("vide", "soun", ...) when known


_AUDIO_MAGIC = (b"fLaC", b"ID3", b"#!AMR", b"FORM")


def _kind_from_magic(head: bytes) -> str:
    if head[4:8] == b"ftyp" or head[4:8] in (b"moov", b"mdat", b"free", b"wide", b"skip"):
        return "mp4"
    if head[:4] == b"RIFF":
        return {b"AVI ": "avi", b"WAVE": "audio"}.get(head[8:12], "unknown")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3") or (head[:1] == b"\x47" and head[188:189] == b"\x47"):
        return "mpeg"
    if head[:3] == b"FLV":
        return "flv"
    if head[:4] == b"\x30\x26\xb2\x75":
        return "asf"
    if head.startswith(_AUDIO_MAGIC) or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio"  # FLAC, MP3 (ID3 tag or frame sync), AMR, AIFF
    return "unknown"


def _boxes(f, start: int, end: int, file_size: int):
    """Yield (type, payload_start, box_end) of the ISO-BMFF boxes between start and end."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header[:8])
        payload = pos + 8
        if size == 1 and len(header) == 16:  # 64-bit size follows
            size = struct.unpack(">Q", header[8:16])[0]
            payload = pos + 16
        elif size == 0:  # box runs to the end of the file
            size = file_size - pos
        if size < payload - pos:
            raise ValueError(f"malformed MP4 box at byte {pos}")
        yield kind.decode("latin-1"), payload, pos + size
        pos += size


def _mp4_info(f, file_size: int) -> ContainerInfo:
    tracks: list[str] = []
    seen_moov = False
    try:
        for kind, payload, box_end in _boxes(f, 0, file_size, file_size):
            if box_end > file_size:
                return ContainerInfo("mp4", f"truncated: MP4 box '{kind}' needs {box_end} bytes, file has {file_size}")
            if kind == "moov":
                seen_moov = True
                for trak, t_payload, t_end in _boxes(f, payload, box_end, file_size):
                    if trak != "trak":
                        continue
                    for mdia, m_payload, m_end in _boxes(f, t_payload, t_end, file_size):
                        if mdia != "mdia":
                            continue
                        for hdlr, h_payload, _ in _boxes(f, m_payload, m_end, file_size):
                            if hdlr == "hdlr":
                                f.seek(h_payload + 8)  # version/flags, pre_defined, then the handler type
                                tracks.append(f.read(4).decode("latin-1"))
    except ValueError as err:
        return ContainerInfo("mp4", f"corrupt: {err}")
    if not seen_moov:
        return ContainerInfo("mp4", "truncated or incomplete MP4: no 'moov' index box")
    return ContainerInfo("mp4", None, tuple(tracks))


def inspect_container(path: str | Path) -> ContainerInfo:
    """Identify the container of ``path`` and spot truncation/missing video where it is cheap to."""
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(512)
        kind = _kind_from_magic(head)
        if kind == "mp4":
            return _mp4_info(f, size)
    if kind == "avi" and len(head) >= 8:
        declared = struct.unpack("<I", head[4:8])[0] + 8  # RIFF size covers the whole file
        if declared > size:
            return ContainerInfo("avi", f"truncated: AVI header declares {declared} bytes, file has {size}")
    return ContainerInfo(kind)
