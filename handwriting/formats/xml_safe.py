"""Parse XML without entity expansion or DTDs (no XXE, no billion laughs); failures are one-line errors."""
from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from suite.errors import SuiteError

MAX_XML_BYTES = 200 * 1024 * 1024


def parse_xml(path: str | Path, what: str) -> Element:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise SuiteError(f"cannot read {what} file ({err.strerror})", path) from None
    if size > MAX_XML_BYTES:
        raise SuiteError(f"{what} file is too large ({size // 2**20} MB)", path)
    try:
        # forbid_dtd: stroke files never need a DTD, and refusing it stops every entity trick up front
        return safe_et.parse(str(path), forbid_dtd=True, forbid_entities=True, forbid_external=True).getroot()
    except DefusedXmlException as err:
        raise SuiteError(f"refused unsafe {what} XML ({type(err).__name__}: DTDs and entities are not allowed)",
                         path) from None
    except ParseError as err:
        raise SuiteError(f"malformed {what} XML ({err})", path) from None
    except (UnicodeDecodeError, ValueError, LookupError) as err:  # LookupError: unknown encoding (fuzzing)
        raise SuiteError(f"malformed {what} XML ({err})", path) from None


def local(tag: str) -> str:
    """Tag name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def children(elem: Element, name: str) -> list[Element]:
    return [c for c in elem if local(c.tag) == name]


def descendants(elem: Element, name: str) -> list[Element]:
    return [c for c in elem.iter() if local(c.tag) == name]
