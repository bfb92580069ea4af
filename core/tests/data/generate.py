#!/usr/bin/env python3
"""Regenerates the fixture workbooks in this folder, each written by another program.

    pip install openpyxl xlsxwriter        # and Debian's libreoffice-calc-nogui
    python3 core/tests/data/generate.py

The outputs are committed, so tests need none of these tools; rerun this only to change
the fixtures. Every file holds the same "Contacts" list so tests can compare formats.
"""
import datetime as dt
import os
import shutil
import subprocess
import tempfile

import openpyxl
import xlsxwriter

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = ["Email", "First Name", "Last Name", "Amount", "Visits", "Joined", "Active", "CC", "Note", "Zip", "Price", "Shift"]
# Custom number formats of the last three columns: a ZIP code with leading zeros, a
# currency with a red negative section, and a duration past midnight.
FORMATS = {"Zip": "00000", "Price": '#,##0.00 "€";[Red]-#,##0.00 "€"', "Shift": "[h]:mm"}
ROWS = [
    ["ada@example.org", "Ada", "Lovelace", 1234.5, 3, dt.datetime(2024, 3, 1), True, "", "Zoë's <b>note</b> & more", 501, 1234.5, 1.25],
    ["grace@example.com", "Grace", "O'Brien", 99.0, 0, dt.datetime(2023, 12, 31, 18, 30), False, "boss@example.com; team@example.com", "", 2134, -12.0, 0.375],
    None,  # a fully empty row in the middle, skipped by readers
    ["not-an-address", "Alan", "Turing", 0.1, 12, dt.datetime(1999, 1, 1), True, "", "line one\nline two", 90210, 0.5, 2.0],
    ["ADA@example.org", "Ada", "Again", -5.25, 1, dt.datetime(2024, 2, 29), False, "", "duplicate of row 4", 7, 0.0, 0.0],
]


def openpyxl_file(path):
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover["A1"] = "Mailing list, exported for localmerge tests"  # a header but no data
    ws = wb.create_sheet("Contacts")
    # Two blank rows first: the header is on row 3, so the first recipient is row 4.
    for c, h in enumerate(HEADER, start=1):
        ws.cell(row=3, column=c, value=h)
    for r, row in enumerate(ROWS, start=4):
        if row is None:
            continue
        for c, v in enumerate(row, start=1):
            if v != "":
                cell = ws.cell(row=r, column=c, value=v)
                if isinstance(v, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm" if v.hour else "yyyy-mm-dd"
                elif HEADER[c - 1] in FORMATS:
                    cell.number_format = FORMATS[HEADER[c - 1]]
    ws["A1"].value = None
    wb.save(path)


def xlsxwriter_file(path, date_1904=False):
    wb = xlsxwriter.Workbook(path, {"date_1904": date_1904})
    ws = wb.add_worksheet("Contacts")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    custom = {h: wb.add_format({"num_format": f}) for h, f in FORMATS.items()}
    ws.write_row(0, 0, HEADER)
    r = 1
    for row in ROWS:
        if row is None:
            r += 1
            continue
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date_fmt)
            elif HEADER[c] in FORMATS:
                ws.write_number(r, c, v, custom[HEADER[c]])
            elif v != "":
                ws.write(r, c, v)
        r += 1
    # An error cell (cached #N/A) in a column the templates can use.
    ws.write(0, len(HEADER), "Score")
    ws.write_formula(1, len(HEADER), "=NA()", None, "#N/A")
    ws.write(2, len(HEADER), 42)
    wb.close()


def soffice(src, target, out_dir):
    subprocess.run(
        ["soffice", "--headless", "--convert-to", target, "--outdir", out_dir, src],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main():
    openpyxl_file(os.path.join(HERE, "contacts.openpyxl.xlsx"))
    xlsxwriter_file(os.path.join(HERE, "contacts.xlsxwriter.xlsx"))
    xlsxwriter_file(os.path.join(HERE, "contacts.1904.xlsx"), date_1904=True)
    broken_cover()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "contacts.xlsx")
        shutil.copy(os.path.join(HERE, "contacts.xlsxwriter.xlsx"), src)
        soffice(src, "ods", tmp)
        soffice(src, "xls", tmp)
        # A flat ods (pretty-printed XML) and LibreOffice's HTML export (a web page of tables,
        # as web applications write with an .xls name). LibreOffice no longer writes BIFF5
        # ("MS Excel 95"), and its XML Spreadsheet 2003 export fails on this workbook.
        soffice(src, "fods", tmp)
        soffice(src, "html:HTML (StarCalc)", tmp)
        # French Excel's CSV: semicolons, Windows-1252 (filter options: 59 = ';', 34 = '"',
        # 1252 = the character set, 1 = first line).
        soffice(src, "csv:Text - txt - csv (StarCalc):59,34,1252,1", tmp)
        shutil.copy(os.path.join(tmp, "contacts.ods"), os.path.join(HERE, "contacts.libreoffice.ods"))
        shutil.copy(os.path.join(tmp, "contacts.xls"), os.path.join(HERE, "contacts.libreoffice.xls"))
        shutil.copy(os.path.join(tmp, "contacts.fods"), os.path.join(HERE, "contacts.libreoffice.fods"))
        shutil.copy(os.path.join(tmp, "contacts.html"), os.path.join(HERE, "contacts.libreoffice.html"))
        shutil.copy(os.path.join(tmp, "contacts.csv"), os.path.join(HERE, "contacts.fr-excel.csv"))
    # Excel's "Unicode Text": UTF-16LE with BOM, tab-separated, CRLF.
    lines = ["\t".join(HEADER)]
    for row in ROWS:
        if row is None:
            lines.append("")
            continue
        cells = [v.strftime("%Y-%m-%d") if isinstance(v, dt.datetime) else str(v) for v in row]
        cells = ['"' + c.replace('"', '""') + '"' if "\n" in c else c for c in cells]
        lines.append("\t".join(cells))
    with open(os.path.join(HERE, "contacts.unicode.txt"), "wb") as f:
        f.write(b"\xff\xfe" + ("\r\n".join(lines) + "\r\n").encode("utf-16-le"))


def broken_cover():
    """contacts.openpyxl.xlsx with its first sheet ("Cover") cut off: a workbook whose
    other sheet still reads."""
    import zipfile

    src = zipfile.ZipFile(os.path.join(HERE, "contacts.openpyxl.xlsx"))
    with zipfile.ZipFile(os.path.join(HERE, "contacts.broken-cover.xlsx"), "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="x">'
            out.writestr(info, data)


if __name__ == "__main__":
    main()
