"""The file-reading half of the import: no database involved."""

from __future__ import annotations

import re

import pytest

from monitoring.inventory import InventoryError, parse
from tests.inventory.conftest import SECRET

HEADER = "site,name,host,port,snmp_version,community"


def test_a_row_knows_the_line_it_starts_on() -> None:
    data = f'{HEADER},notes\n\nParis,a,h,1,2c,c,"two\nlines"\nParis,b,h,2,2c,c,\n'.encode()
    assert [row.line for row in parse(data).rows] == [3, 5]


def test_blank_lines_before_the_header_are_skipped() -> None:
    parsed = parse(f"\n\n{HEADER}\nParis,a,h,1,2c,c\n".encode())
    assert parsed.rows[0].line == 4


def test_cells_are_trimmed() -> None:
    row = parse(f"{HEADER}\n Paris , a ,h,1,2c, c \n".encode()).rows[0]
    assert (row.get("site"), row.get("name"), row.get("community")) == ("Paris", "a", "c")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_taken_from_the_header(delimiter: str) -> None:
    text = f"{HEADER}\nParis,a,127.100.0.1,161,2c,c\n".replace(",", delimiter)
    assert parse(text.encode()).rows[0].get("host") == "127.100.0.1"


def test_header_names_are_matched_loosely() -> None:
    parsed = parse(b"Site,NAME,Host,Port,SNMP version,Community,Site-Description\n")
    assert parsed.columns == (*HEADER.split(","), "site_description")


def test_unknown_and_unnamed_columns_are_listed() -> None:
    parsed = parse(f"{HEADER},colour,\nParis,a,h,1,2c,c,red,\n".encode())
    assert parsed.unknown_columns == ("colour", "(column 8 has no name)")
    assert "colour" not in parsed.rows[0].values


def test_a_row_never_shows_its_community_in_its_repr() -> None:
    row = parse(f"{HEADER}\nParis,a,h,1,2c,{SECRET}\n".encode()).rows[0]
    assert SECRET not in repr(row)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        ("site;name\nBéziers".encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 11)"),
        ("site,name".encode("utf-16"), "not UTF-8"),
        (b"PK\x03\x04\x00\x00", "not CSV"),
        (f'{HEADER}\n"Paris,a\n'.encode(), "not valid CSV"),
        (b"name,host\n", "missing required column(s): site, port, snmp_version, community"),
    ],
)
def test_an_unusable_file_raises_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(InventoryError, match=re.escape(message)):
        parse(data)
