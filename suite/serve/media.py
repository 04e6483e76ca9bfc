"""What an upload is, decided from its bytes (never from the name the client gave it).

The server stores every upload under a name it chooses, with the extension of the format its content
was recognised as. Only known formats pass: a text file pretending to be a video (an HLS playlist, an
ffconcat list) could make a media library open other files of the server, so it is refused here.
"""
from __future__ import annotations

import re

# the file formats this module recognises from their content, by family (for error messages only; which
# formats an endpoint takes is its domain's ``upload_formats``)
FAMILIES: dict[str, tuple[str, ...]] = {
    "audio": ("wav", "flac", "ogg", "mp3"),
    "video": ("mp4", "mov", "avi", "mkv", "webm"),
    "text/markup": ("json", "inkml", "xml", "dat"),
}
_UNIPEN = re.compile(rb"^\.(VERSION|INCLUDE|PEN_DOWN|SEGMENT|COORD|PEN_UP|HIERARCHY|COMMENT|DATA_SOURCE)\b", re.M)
_INCLUDE = re.compile(rb"^\s*\.INCLUDE\b", re.M)


class MediaError(ValueError):
    """The upload is not in a format the endpoint takes (HTTP 415)."""


def sniff(head: bytes) -> str | None:
    """The extension of the format ``head`` (the first KBs of a file) is in, or None if unknown."""
    if len(head) >= 12 and head[:4] == b"RIFF":
        return {b"WAVE": "wav", b"AVI ": "avi"}.get(head[8:12])
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if b"webm" in head[:64] else "mkv"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "json"
    if text.startswith(b"<"):
        return "inkml" if b"<ink" in head and b"StrokeSet" not in head else "xml"
    if _UNIPEN.search(head):
        return "dat"
    return None


def describe(kind: str, formats: tuple[str, ...]) -> str:
    return f"{kind} ({', '.join(formats)})" if formats else kind


def check_upload(path: str, kind: str, formats: tuple[str, ...], client_ext: str = "") -> str:
    """The extension to store the upload at ``path`` under, for an endpoint whose domain reads ``kind``
    (its ``input_key``) in ``formats`` (its ``upload_formats``); MediaError if the content is not acceptable.

    A domain that declares no formats takes any upload as is, with the client's extension when it is a
    plain one.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    ext = sniff(head)
    if not formats:
        return ext or (client_ext if re.fullmatch(r"[a-z0-9]{1,8}", client_ext) else "bin")
    if ext is None:
        raise MediaError(f"unrecognised file content; expected {describe(kind, formats)}")
    if ext not in formats:
        found = next((k for k, exts in FAMILIES.items() if ext in exts), "other")
        raise MediaError(f"got {ext} ({found}); this endpoint takes {describe(kind, formats)}")
    if ext == "dat":
        with open(path, "rb") as fh:
            if _INCLUDE.search(fh.read()):
                raise MediaError("UNIPEN .INCLUDE names files on the server; upload a self-contained file")
    return ext
