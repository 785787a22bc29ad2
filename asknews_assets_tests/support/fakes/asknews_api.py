"""A local stand-in for the AskNews API: the OAuth token endpoint and news search, in the SDK's shapes.

Responses follow the models of `asknews_sdk` (SearchResponse with SearchResponseDictItem items), so
the real SDK parses them. The server binds 127.0.0.1 on a free port and records every request.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "asknews-test-client"
CLIENT_SECRET = "s3cr3t-asknews-value-never-logged"
API_KEY = "asknews-test-api-key-never-logged"
ACCESS_TOKEN = "fake-access-token"
TOKEN_PATH = "/oauth2/token"
SEARCH_PATH = "/v1/news/search"

KEY_POINTS = ["Monterrey elects a mayor.", "Turnout rose."]

# The AskNews-NER window; the fake filters by it like the API does.
WINDOW_START, WINDOW_END = "2024-02-20T00:00:00Z", "2024-04-01T00:00:00Z"


def asknews_article(number: int, country: str, language: str, **fields: Any) -> dict[str, Any]:
    """A search result item with every field the SDK's SearchResponseDictItem requires."""
    return {
        "article_url": f"https://diario.example/{language}/{number}",
        "article_id": str(uuid.UUID(int=number)),
        "classification": "Politics",
        "country": country,
        "source_id": "Diario de Prueba",
        "page_rank": 1200,
        "domain_url": "diario.example",
        "title": f"Titular {number}",
        "eng_title": f"Headline {number}",
        "summary": f"Article {number} tells a different story about the city of Monterrey and its mayor.",
        "key_points": [f"Article {number} is about Monterrey."],
        "entities": {"Person": ["Ana Pérez"], "Location": ["Monterrey"]},
        "image_url": None,
        "keywords": ["Monterrey"],
        "language": language,
        "pub_date": "2024-03-01T10:00:00-06:00",
        "sentiment": 0,
        "markdown_citation": f"[{number}] Diario de Prueba",
        "provocative": "low",
        "reporting_voice": "Objective",
        "continent": "North America",
        "as_string_key": str(number),
        **fields,
    }


def recorded_articles() -> list[tuple[str, str, dict[str, Any]]]:
    """(country, language, article): the search filters an article answers to, then the article.

    MX|es holds seven: four good ones (one with an empty summary but key points), one with an invalid
    country, one in Portuguese, one with neither summary nor key points; and one outside the window.
    """
    return [
        ("MX", "es", asknews_article(1, "MX", "es", classification=["Business", "Politics"])),
        ("MX", "es", asknews_article(2, "MX", "es", original_language_summary="El artículo 2 trata de Monterrey.")),
        ("MX", "es", asknews_article(3, "MX", "es", summary="", key_points=KEY_POINTS)),
        ("MX", "es", asknews_article(4, "ZZ", "es")),
        ("MX", "es", asknews_article(5, "MX", "pt")),
        ("MX", "es", asknews_article(6, "MX", "es", summary="", key_points=None)),
        ("MX", "es", asknews_article(7, "MX", "es", pub_date="2024-03-20T08:30:00Z")),
        ("MX", "es", asknews_article(8, "MX", "es", pub_date="2023-12-31T23:00:00Z")),
        ("FR", "fr", asknews_article(9, "FR", "fr", title="Titre 9", continent="Europe")),
    ]


class FakeAskNews:
    """`with FakeAskNews(recorded_articles()) as api:` serves api.base_url and api.token_url."""

    def __init__(self, articles: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.articles = articles
        self.search_requests: list[dict[str, list[str]]] = []
        self.token_requests = 0
        self.fail_search_with: int | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    def __enter__(self) -> FakeAskNews:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """The SearchResponse the API would give: filters, the pub_date window, then offset paging."""
        start, end = int(query["start_timestamp"][0]), int(query["end_timestamp"][0])
        matching = [
            article
            for country, language, article in self.articles
            if language in query.get("languages", [language])
            and country in query.get("countries", [country])
            and start <= datetime.fromisoformat(article["pub_date"]).timestamp() <= end
        ]
        offset, size = int(query["offset"][0]), int(query["n_articles"][0])
        page = matching[offset : offset + size]
        return {"as_dicts": page, "as_string": None, "offset": offset + len(page), "usage": {"credits": len(page)}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                if urlsplit(self.path).path != TOKEN_PATH:
                    return self._reply(404, {"code": 404000, "detail": "Not Found"})
                if self.headers.get("Authorization") != basic or form.get("grant_type") != ["client_credentials"]:
                    return self._reply(401, {"error": "invalid_client"})
                fake.token_requests += 1
                scope = form.get("scope", [""])[0]
                token = {"access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": scope, "expires_in": 3600}
                self._reply(200, token)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != SEARCH_PATH:
                    return self._reply(404, {"code": 404000, "detail": "Not Found"})
                if self.headers.get("Authorization") not in (f"Bearer {ACCESS_TOKEN}", f"Bearer {API_KEY}"):
                    return self._reply(401, {"code": 401000, "detail": "Unauthorized"})
                query = parse_qs(url.query)
                fake.search_requests.append(query)
                if status := fake.fail_search_with:
                    return self._reply(status, {"code": status * 1000, "detail": "unavailable"})
                self._reply(200, fake.search(query))

        return Handler
