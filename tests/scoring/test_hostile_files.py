"""Hostile and damaged spreadsheets: refused quickly, with bounded memory, and nothing written.

The bounds are asserted by counting (rows pulled from the parser, problems kept, bytes traced by
tracemalloc), never by wall time, so the tests cannot flake on a busy machine. A counter that
passes its bound fails the test at once instead of letting an unbounded read run on.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Iterable, Iterator

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from scoring.imports import ImportFailed, customers_clean, table_read, tables, uploads
from scoring.models import Customer

HEADER = (
    "external_id;name;account_manager_email;sector;annual_revenue;margin_pct;"
    "revenue_potential;payment_behaviour\n"
)
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.KB_UPLOAD_DIR = tmp_path / "uploads"
    return settings.KB_UPLOAD_DIR


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def manager_client(client, mira):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(mira)
    return client


class TooMuchRead(AssertionError):
    pass


@pytest.fixture
def rows_read(monkeypatch):
    """Counts the rows and cells the reader pulls from the CSV or XLSX parser; fails the test
    as soon as more than a bound is pulled (the reading would otherwise go on for minutes)."""
    counts = {"rows": 0, "cells": 0}
    bound = {"rows": 250_000, "cells": 5_000_000}
    real = tables._limited

    def counting(records: Iterable, limits: tables.ReadLimits) -> Iterator:
        def counted() -> Iterator:
            for record in records:
                counts["rows"] += 1
                counts["cells"] += len(record)
                if counts["rows"] > bound["rows"] or counts["cells"] > bound["cells"]:
                    raise TooMuchRead(f"read without bound: {counts}")
                yield record

        return real(counted(), limits)

    monkeypatch.setattr(tables, "_limited", counting)
    return counts


def _base_workbook() -> dict[str, bytes]:
    """The members of a small valid workbook (openpyxl's own), to replace parts of."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["external_id", "name"])
    sheet.append(["K-1", "Bakkerij"])
    stream = io.BytesIO()
    workbook.save(stream)
    with zipfile.ZipFile(stream) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _cell(text: str) -> bytes:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _xlsx(parts: dict[str, Iterable[bytes]]) -> bytes:
    """A workbook with the given members replaced (each written from chunks, streamed)."""
    members = _base_workbook()
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in members.items():
            if name in parts:
                continue
            archive.writestr(name, content)
        for name, chunks in parts.items():
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
    return stream.getvalue()


def _sheet(*, dimension: str | None = None, rows: Iterable[bytes] = ()) -> Iterator[bytes]:
    yield SHEET_HEAD
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield b"<row>" + _cell("external_id") + _cell("name") + b"</row>"
    yield from rows
    yield b"</sheetData></worksheet>"


def _peak_bytes(read) -> tuple[object, int]:
    """What ``read()`` returns or raises, and the peak of memory it allocated (tracemalloc)."""
    tracemalloc.start()
    try:
        try:
            result: object = read()
        except ImportFailed as failure:
            result = failure
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


def test_a_declared_full_sheet_dimension_is_not_trusted(rows_read):
    data = _xlsx(
        {
            SHEET: _sheet(
                dimension="A1:XFD1048576", rows=[b"<row>" + _cell("K-1") + _cell("B") + b"</row>"]
            )
        }
    )
    assert len(data) < 10_000

    table, peak = _peak_bytes(lambda: table_read(data, "bom.xlsx"))

    assert table.header == ("external_id", "name")
    assert [row.cells for row in table.rows] == [("K-1", "B")]
    # Two rows of two cells, not 1,048,576 rows of 16,384 cells.
    assert rows_read == {"rows": 2, "cells": 4}
    assert peak < 20 * MB


def test_a_huge_shared_string_is_refused_before_the_workbook_is_parsed(monkeypatch):
    chunk = b"a" * MB
    strings = [
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org'
        b'/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>',
        *([chunk] * 30),
        b"</t></si></sst>",
    ]
    data = _xlsx({STRINGS: strings})
    assert len(data) < 1 * MB
    opened = []
    monkeypatch.setattr(tables, "_workbook_load", lambda *a, **k: opened.append(a))

    failure, peak = _peak_bytes(lambda: table_read(data, "strings.xlsx"))

    assert isinstance(failure, ImportFailed)
    assert "The workbook unpacks to 30.0\xa0MB" in failure.text()
    assert opened == []  # refused on the sizes the archive declares
    assert peak < 5 * MB


def test_a_huge_sheet_is_refused_before_it_is_parsed(monkeypatch):
    row = b"<row>" + _cell("K-1") + _cell("Bakkerij Jansen") + b"</row>"
    rows = [row * (MB // len(row))] * 110  # 110 MB of sheet XML
    data = _xlsx({SHEET: _sheet(rows=rows)})
    assert len(data) < 2 * MB
    opened = []
    monkeypatch.setattr(tables, "_workbook_load", lambda *a, **k: opened.append(a))

    failure, peak = _peak_bytes(lambda: table_read(data, "sheet.xlsx"))

    assert isinstance(failure, ImportFailed)
    assert "at most 100.0\xa0MB can be imported at once" in failure.text()
    assert opened == []
    assert peak < 5 * MB


def test_a_sheet_of_a_million_rows_stops_at_the_row_limit(settings, rows_read):
    settings.KB_IMPORT_MAX_ROWS = 1000
    row = b"<row>" + _cell("K") + _cell("B") + b"</row>"
    data = _xlsx({SHEET: _sheet(rows=[row * 1024] * 1023 + [row * 1023])})  # 1,048,576 rows

    failure, peak = _peak_bytes(lambda: table_read(data, "rows.xlsx"))

    assert isinstance(failure, ImportFailed)
    assert "The file has more than 1000 rows" in failure.text()
    assert rows_read["rows"] == 1002  # the header, 1000 rows and the one too many
    assert peak < 20 * MB


def test_a_csv_of_a_million_rows_stops_at_the_default_row_limit(rows_read):
    data = (HEADER + "K;B\n" * 1_048_575).encode()
    with pytest.raises(ImportFailed, match="more than 100000 rows"):
        table_read(data, "rows.csv")
    assert rows_read["rows"] == 100_002


def test_a_row_wider_than_the_column_limit_is_refused(settings, rows_read):
    settings.KB_IMPORT_MAX_COLUMNS = 50
    far = b'<row><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>'
    data = _xlsx({SHEET: _sheet(rows=[far] * 10_000)})
    with pytest.raises(ImportFailed, match="the row has 16384 columns; at most 50"):
        table_read(data, "wide.xlsx")
    assert rows_read["rows"] == 2


def test_an_overlong_cell_is_refused(settings):
    settings.KB_IMPORT_MAX_CELL_CHARS = 100
    with pytest.raises(ImportFailed, match="a cell holds 101 characters; at most 100"):
        table_read((HEADER + "K;" + "x" * 101 + "\n").encode(), "long.csv")


def test_a_problem_in_every_row_keeps_only_the_first_problems_and_counts_the_rest(db, settings):
    settings.KB_IMPORT_MAX_PROBLEMS = 100
    data = (HEADER + "".join(f"K-{i};Naam;;;veel;;;\n" for i in range(20_000))).encode()
    table = table_read(data, "problems.csv")
    with pytest.raises(ImportFailed) as caught:
        customers_clean(table=table)
    failure = caught.value
    assert failure.count == 20_000
    assert len(failure.errors) == 100
    assert [e.row for e in failure.errors[:2]] == [2, 3]  # the first ones, in file order
    assert failure.text().endswith("… and 19900 more problems.")


def test_the_upload_page_lists_the_first_problems_and_counts_the_rest(manager_client, settings):
    settings.KB_IMPORT_MAX_PROBLEMS = 5
    data = (HEADER + "".join(f"K-{i};Naam;;;veel;;;\n" for i in range(40))).encode()
    preview = manager_client.get(_upload(manager_client, data)["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "The file cannot be imported: 40 problems." in html
    assert html.count("is not an amount") == 5
    assert "… and 35 more problems, not listed." in html
    assert not Customer.objects.exists()


def _upload(client, content: bytes, name: str = "file.csv", kind: str = "customers"):
    return client.post(
        reverse("scoring:upload"), {"kind": kind, "file": SimpleUploadedFile(name, content)}
    )


GOOD_CSV = HEADER + "K-100;Bakkerij Jansen;;Food;1000;;;\n"


def test_the_preview_is_parsed_once_not_on_every_view(manager_client, monkeypatch):
    reads = []
    real = uploads.table_read

    def counting(*args, **kwargs):
        reads.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(uploads, "table_read", counting)
    preview_url = _upload(manager_client, GOOD_CSV.encode())["Location"]
    for _ in range(3):
        html = manager_client.get(preview_url).content.decode()
        assert "The 1 row is correct." in html
    manager_client.post(preview_url)
    assert reads == ["file.csv"]  # read on upload only: the views and the confirm read none
    assert Customer.objects.get().name == "Bakkerij Jansen"


def test_an_upload_larger_than_the_limit_is_refused_with_a_message(manager_client, settings):
    settings.KB_UPLOAD_MAX_BYTES = 1000
    response = _upload(manager_client, (GOOD_CSV + "x" * 1000).encode())
    assert response.status_code == 200
    assert "at most 1000\xa0bytes can be imported at once" in response.content.decode()
    assert "at most 1000\xa0bytes." in response.content.decode()  # the field's help text
    assert not uploads._upload_dir().exists() or not any(uploads._upload_dir().iterdir())


def test_a_command_file_larger_than_the_limit_is_refused(db, settings, tmp_path):
    settings.KB_IMPORT_FILE_MAX_BYTES = 1000
    path = tmp_path / "big.csv"
    path.write_text(GOOD_CSV + "x" * 1000)
    with pytest.raises(CommandError, match="at most 1000\xa0bytes can be imported"):
        call_command("import_customers", str(path), "--no-progress")
    assert not Customer.objects.exists()


# -- Bytes and cells that a file should not hold ---------------------------------------------


def test_a_csv_with_a_nul_byte_is_refused_whole_at_the_check(manager_client):
    data = (GOOD_CSV + "K-101;Gara\x00ge;;Auto;1000;;;\n").encode()
    html = manager_client.get(_upload(manager_client, data)["Location"]).content.decode()
    assert "The file is not a readable CSV text file (line 3 holds a NUL byte)" in html
    assert 'id="confirm-import"' not in html
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        GOOD_CSV.encode() + b"K-102;Caf\x81;;;;;;\n",  # neither UTF-8 nor Windows-1252
        b"\xef\xbb\xbf" + GOOD_CSV.encode() + b"K-102;\xe9;;;;;;\n",  # a BOM, then not UTF-8
        b"\xff\xfe" + GOOD_CSV.encode("utf-16-le") + b"\x00\xd8",  # broken UTF-16
    ],
)
def test_bytes_no_encoding_can_read_refuse_the_whole_file(data):
    with pytest.raises(ImportFailed, match="its bytes are neither UTF-8 nor Windows-1252"):
        table_read(data, "bad.csv")


def test_windows_1252_text_is_still_read():
    table = table_read((GOOD_CSV + "K-102;Café;;;;;;\n").encode("cp1252"), "oud.csv")
    assert table.rows[-1].cells[1] == "Café"


@pytest.mark.parametrize(
    "cell",
    [
        b'<c r="B2"><v>not a number</v></c>',
        b'<c r="B2" t="s"><v>999</v></c>',  # a shared string that is not there
        b'<c r="B2" t="b"><v>maybe</v></c>',
        b'<c r="B2" t="d"><v>31-31-2025</v></c>',
    ],
)
def test_a_damaged_xlsx_cell_gives_a_message_not_a_server_error(manager_client, cell):
    data = _xlsx({SHEET: _sheet(rows=[b'<row r="2">' + _cell("K-1") + cell + b"</row>"])})
    with pytest.raises(ImportFailed, match="the workbook is damaged at this row"):
        table_read(data, "damaged.xlsx")
    response = manager_client.get(_upload(manager_client, data, "damaged.xlsx")["Location"])
    assert response.status_code == 200
    assert "the workbook is damaged at this row" in response.content.decode()


@pytest.mark.parametrize(
    ("amount", "revenue_problem", "margin_problem"),
    [
        ("12345678901234567890123456789", "is too large", "is outside the range"),
        ("1" * 60, "is too large", "is outside the range"),
        ("-" + "9" * 40, "is negative", "is outside the range"),
    ],
)
def test_an_amount_of_many_digits_is_a_message_not_a_server_error(
    manager_client, amount, revenue_problem, margin_problem
):
    data = (HEADER + f"K-1;Bakkerij;;;{amount};{amount};;\n").encode()
    response = manager_client.get(_upload(manager_client, data)["Location"])
    html = response.content.decode()
    assert response.status_code == 200
    assert "The file cannot be imported: 2 problems." in html
    assert f"{amount} {revenue_problem}" in html
    assert f"{amount} {margin_problem}" in html
    assert not Customer.objects.exists()


def test_an_xlsx_amount_as_a_huge_float_is_too_large(db):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER.strip().split(";"))
    workbook.active.append(["K-1", "Bakkerij", None, None, 1e300, 1e300, -1e300, None])
    stream = io.BytesIO()
    workbook.save(stream)
    with pytest.raises(ImportFailed) as caught:
        customers_clean(table=table_read(stream.getvalue(), "big.xlsx"))
    messages = [str(e) for e in caught.value.errors]
    assert any("annual_revenue" in m and "too large" in m for m in messages)
    assert any("margin_pct" in m and "outside the range" in m for m in messages)
    assert any("revenue_potential" in m and "negative" in m for m in messages)


@pytest.mark.parametrize(
    "token", ["x" * 20, "a" * 64, "A" * 65, "..", "%00", "x" * 500, "é" * 30, "-" * 30]
)
def test_an_unknown_preview_token_is_a_not_found_page(manager_client, token):
    for suffix in ("", "done/"):
        response = manager_client.get(f"/import/{token}/{suffix}")
        assert response.status_code == 404
        assert manager_client.post(f"/import/{token}/{suffix}").status_code == 404


def test_a_known_token_whose_upload_is_gone_is_a_not_found_page(manager_client, upload_dir):
    preview_url = _upload(manager_client, GOOD_CSV.encode())["Location"]
    for path in upload_dir.iterdir():
        path.unlink()
    assert manager_client.get(preview_url).status_code == 404
    assert manager_client.post(preview_url).status_code == 404
    assert not Customer.objects.exists()


def test_an_oversized_upload_is_not_kept_whole_on_disk(manager_client, settings, monkeypatch):
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    settings.KB_UPLOAD_MAX_BYTES = 100_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000  # the request goes to the disk handler
    written = []
    real = TemporaryFileUploadHandler.receive_data_chunk

    def counting(self, raw_data, start):  # what goes into the temporary file
        written.append(len(raw_data))
        return real(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting)
    response = _upload(manager_client, (GOOD_CSV + "x" * 3_000_000).encode())
    assert "The file is 2.9\xa0MB; at most 97.7\xa0KB can be imported" in response.content.decode()
    assert 0 < sum(written) <= 100_000 + 65_536  # the limit and the chunk that crosses it
