"""WeasyPrint reads the app's own static files and nothing else: no other file on the server, no web address, however
the address is spelled. A refusal is logged and the PDF is still made, without what was refused."""

import http.server
import logging
import threading

import pytest

from screening.pdf import STATIC_DIR, StaticFilesOnly, html_to_pdf

STATIC_CSS = STATIC_DIR / "css" / "report.css"


@pytest.fixture
def web_server():
    """A web server on this machine that counts the requests it gets: none may come from a PDF."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()


OUTSIDE = [
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    f"{STATIC_DIR.as_uri()}/../../../../etc/passwd",
    f"{STATIC_DIR.as_uri()}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    f"{STATIC_DIR.as_uri()}/css/..%2f..%2f..%2f..%2fetc/passwd",
    "file://evil.example/etc/passwd",
    "ftp://evil.example/x.css",
    "data:text/css,body{color:red}",
]


@pytest.mark.parametrize("url", OUTSIDE)
def test_anything_but_the_static_files_is_refused_and_logged(url, caplog):
    with caplog.at_level(logging.WARNING, logger="screening.pdf"), pytest.raises(ValueError, match="static files"):
        StaticFilesOnly().fetch(url)
    assert any("refused to fetch" in record.getMessage() for record in caplog.records)


def test_a_web_address_is_refused_and_never_requested(web_server, caplog):
    base, requests = web_server
    with caplog.at_level(logging.WARNING, logger="screening.pdf"):
        pdf = html_to_pdf(
            f'<link rel="stylesheet" href="{base}/style.css"><img src="{base}/tracker.png">'
            f'<img src="file:///etc/passwd"><p style="background: url({base}/bg.png)">Report</p>'
        )
    assert pdf.startswith(b"%PDF")
    assert requests == []
    refused = [record.getMessage() for record in caplog.records if "refused to fetch" in record.getMessage()]
    assert any(f"{base}/style.css" in message for message in refused), refused
    assert any("file:///etc/passwd" in message for message in refused), refused


def test_the_static_files_are_read(caplog):
    fetched = StaticFilesOnly().fetch(STATIC_CSS.as_uri())
    try:
        assert fetched.read() == STATIC_CSS.read_bytes()
    finally:
        fetched.close()
    with caplog.at_level(logging.WARNING, logger="screening.pdf"):
        assert html_to_pdf(f'<link rel="stylesheet" href="{STATIC_CSS.as_uri()}"><p>Report</p>').startswith(b"%PDF")
    assert not [record for record in caplog.records if "refused" in record.getMessage()]


def test_a_relative_address_is_read_from_the_static_files_only(caplog):
    with caplog.at_level(logging.WARNING, logger="screening.pdf"):
        html_to_pdf('<link rel="stylesheet" href="css/report.css"><img src="../manage.py"><p>Report</p>')
    refused = [record.getMessage() for record in caplog.records if "refused" in record.getMessage()]
    assert len(refused) == 1, refused
    assert "manage.py" in refused[0]
