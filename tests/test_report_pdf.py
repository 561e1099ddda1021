"""The PDF as the doctor gets it: read back with pypdf, drawn with pdftoppm, fetched safely."""

from __future__ import annotations

import io
import re
import subprocess
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader

from pwa.report.pdf import RefusedURL, StaticFilesOnly, render_pdf

from .conftest import make_patient
from .test_report import known_diary, make_diary

LETTER, LETTER_WIDE = (612, 792), (792, 612)
A4, A4_WIDE = (595, 842), (842, 595)


def pdf_bytes(client, start: date, end: date) -> bytes:
    response = client.get(f"/report.pdf?from={start}&to={end}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.data


def pdf_for(client, start: date, end: date) -> PdfReader:
    return PdfReader(io.BytesIO(pdf_bytes(client, start, end)))


def page_text(reader: PdfReader, index: int) -> str:
    """The page's text with runs of whitespace folded, as a reader would see it."""
    return re.sub(r"\s+", " ", reader.pages[index].extract_text())


def page_size(page) -> tuple[int, int]:
    return round(float(page.mediabox.width)), round(float(page.mediabox.height))


@pytest.fixture
def known_report(app, client, auth, db):
    """The 28-day synthetic diary (8, then 6, then 4) for a patient named Ada, as a PDF."""
    patient = make_patient(
        name="Ada Łukasiewicz",
        profile={
            "fracture_levels": "T12",
            "fracture_date": date(2026, 9, 1),
            "treatment": "nonsurgical",
            "doctor_name": "Dr Reyes",
        },
    )
    auth.login(patient.email)
    end = patient.today()
    start = end - timedelta(days=27)
    make_diary(db, patient, start, known_diary(), limited_activity=True, minutes_walked=15)
    data = pdf_bytes(client, start, end)
    return patient, PdfReader(io.BytesIO(data)), data


def test_page_one_numbers_are_exactly_right_for_a_known_diary(app, known_report):
    patient, reader, _ = known_report
    text = page_text(reader, 0)

    assert "Ada Łukasiewicz" in text
    assert "At the start 8.0" in text
    assert "mean of the first 3 logged days" in text
    assert "Last 7 days 4.0" in text
    assert "Change -4.0 points" in text
    assert "-50% from the start" in text
    assert "Meaningful improvement (at least 2 points and at least 30% lower)" in text
    assert "Days at 7 or more 3 of 28 logged days" in text
    assert "Worst pain, last 7 days 4" in text
    assert "higher = worse" in text
    assert "Patient-reported home diary · 28 of 28 days logged" in text
    assert f"Upright {app.config['APP_VERSION']}" in text
    assert re.search(r"Page 1 of \d+", text)


def test_every_page_carries_name_period_completeness_and_page_x_of_y(known_report):
    patient, reader, _ = known_report
    end = patient.today()
    start = end - timedelta(days=27)
    period = f"{start.day} {start:%b %Y} to {end.day} {end:%b %Y}"
    pages = len(reader.pages)

    assert pages >= 2  # the summary, then the appendix
    for number in range(pages):
        text = page_text(reader, number)
        assert "Ada Łukasiewicz" in text
        assert f"Home diary {period}" in text
        assert "28 of 28 days logged" in text
        assert f"Page {number + 1} of {pages}" in text


def test_appendix_lists_every_day_once_with_its_header_on_each_page(client, auth, db):
    patient = make_patient()
    auth.login(patient.email)
    end = patient.today()
    start = end - timedelta(days=89)
    make_diary(db, patient, start, [5, None, 6] * 30, notes="Short walk " * 8)

    reader = pdf_for(client, start, end)
    appendix = [
        i for i in range(len(reader.pages)) if "Worst, moving; where" in page_text(reader, i)
    ]
    text = " ".join(page_text(reader, i) for i in appendix)

    assert len(appendix) >= 2  # the header repeats on each appendix page
    assert appendix == list(range(appendix[0], len(reader.pages)))
    for i in range(90):
        day = start + timedelta(days=i)
        assert text.count(f"{day:%a} {day.day} {day:%b %Y} ") == 1, day
    assert text.count("not logged") == 30


def test_paper_follows_the_patients_setting_and_the_appendix_turns_sideways(client, auth, db):
    for paper, portrait, landscape in (("letter", LETTER, LETTER_WIDE), ("a4", A4, A4_WIDE)):
        patient = make_patient(paper_size=paper)
        auth.login(patient.email)
        today = patient.today()
        make_diary(db, patient, today - timedelta(days=6), [5] * 7)

        reader = pdf_for(client, today - timedelta(days=6), today)

        assert page_size(reader.pages[0]) == portrait
        assert page_size(reader.pages[-1]) == landscape
        auth.logout()


def test_pdf_uses_the_fonts_shipped_with_the_app(known_report):
    _patient, reader, _ = known_report
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))

    assert fonts, "no fonts embedded"
    assert all("Atkinson-Hyperlegible" in name for name in fonts), fonts


def test_page_one_drawn_to_png_is_not_blank(known_report, tmp_path):
    *_, data = known_report
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)

    subprocess.run(
        ["pdftoppm", "-gray", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    (image,) = tmp_path.glob("p*.pgm")
    width, height, pixels = read_pgm(image.read_bytes())
    dark = sum(1 for value in pixels if value < 128)

    assert (width, height) == (340, 440)  # US Letter at 40 dpi
    assert 0.02 < dark / len(pixels) < 0.5  # ink on the page, but not a black page
    top, bottom = pixels[: len(pixels) // 2], pixels[len(pixels) // 2 :]
    assert min(top) < 64 and min(bottom) < 64  # text in the upper half, charts in the lower


def read_pgm(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and 8-bit pixels of a binary PGM, as pdftoppm -gray writes it."""
    fields = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[fields.end() :]


def test_an_empty_period_gives_a_clear_pdf(client, signed_in):
    today = signed_in.today()

    reader = pdf_for(client, today - timedelta(days=13), today)

    text = page_text(reader, 0)
    assert "No check-ins in this period" in text
    assert "0 of 14 days logged" in text


def test_a_year_of_data_renders_with_every_day_in_the_appendix(client, auth, db):
    patient = make_patient(profile={"procedure_date": date(2026, 1, 10)})
    auth.login(patient.email)
    end = patient.today()
    start = end - timedelta(days=364)
    make_diary(db, patient, start, [8 - (i * 5) // 365 for i in range(365)], minutes_walked=30)

    reader = pdf_for(client, start, end)

    assert "365 of 365 days logged" in page_text(reader, 0)
    last = page_text(reader, len(reader.pages) - 1)
    assert f"{end:%a} {end.day} {end:%b %Y}" in last


# ------------------------------------------------------------------ what the renderer may load


class CountingHandler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the stdlib's name
        CountingHandler.hits.append(self.path)
        body = b"body::after { content: 'FETCHED-FROM-OUTSIDE'; }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def outside_server():
    CountingHandler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_renderer_refuses_file_data_and_outside_urls(app, tmp_path, outside_server):
    secret = tmp_path / "secret.css"
    secret.write_text("body::after { content: 'READ-FROM-DISK'; }")
    html = f"""<!doctype html><html><head>
      <link rel="stylesheet" href="{secret.as_uri()}">
      <link rel="stylesheet" href="{outside_server}/evil.css">
      <link rel="stylesheet" href="data:text/css,body::before{{content:'FROM-DATA-URL'}}">
      <link rel="stylesheet" href="/static/css/report.css">
      </head><body><p class="report-doc">Allowed text</p>
      <img src="{outside_server}/pixel.png" alt="">
      <img src="file:///etc/hostname" alt=""></body></html>"""

    pdf = render_pdf(html, "http://upright.test/", static_folder=app.static_folder)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    assert "Allowed text" in text
    assert "READ-FROM-DISK" not in text
    assert "FETCHED-FROM-OUTSIDE" not in text
    assert "FROM-DATA-URL" not in text
    assert CountingHandler.hits == []
    fonts = {
        str(f.get_object()["/BaseFont"])
        for f in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()
    }
    assert all("Atkinson" in name for name in fonts)  # our own stylesheet and font did load


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "data:text/css,body{}",
        "http://example.com/static/css/report.css",  # right path, other host
        "https://upright.test/static/css/report.css",  # other scheme
        "http://upright.test/report.pdf",  # our own app, but not a static file
        "http://upright.test/static/../pwa/config.py",
        "http://upright.test/static/%2e%2e/pwa/config.py",
        "http://upright.test/static/css/missing.css",
        "ftp://upright.test/static/css/report.css",
    ],
)
def test_fetcher_refuses_anything_but_our_static_files(app, url):
    fetcher = StaticFilesOnly(app.static_folder, "http://upright.test/")

    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_a_static_file_from_disk(app):
    fetcher = StaticFilesOnly(app.static_folder, "http://upright.test/")

    response = fetcher.fetch("http://upright.test/static/css/report.css")

    assert b"@font-face" in response.read()
    assert response.content_type == "text/css"


def test_a_period_across_the_spring_clock_change_lists_each_local_day_once(client, auth, db):
    patient = make_patient(timezone="America/New_York")
    auth.login(patient.email)
    start, end = date(2026, 3, 1), date(2026, 3, 14)  # clocks go forward on Sun 8 Mar
    make_diary(db, patient, start, [6] * 14)

    reader = pdf_for(client, start, end)
    text = " ".join(page_text(reader, i) for i in range(len(reader.pages)))

    assert "14 of 14 days logged" in page_text(reader, 0)
    for day in ("Sat 7 Mar 2026", "Sun 8 Mar 2026", "Mon 9 Mar 2026"):
        assert text.count(f"{day} ") == 1
