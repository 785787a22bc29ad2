"""A cache of usable LLM answers in the warehouse, so a re-run or a resumed backfill never pays twice.

Answers are keyed by (model, prompt_version, input_hash); the hash covers the messages and the
sampling settings. The embedded warehouse serialises connections with a file lock, so no connection
is held while waiting on the endpoint: hits are read in one short
connection, misses are sent, and answers are written in short connections of `flush_every` answers
each (and whatever is pending when the batch ends or fails). A crash mid-batch therefore loses at
most one chunk of paid answers, and the lock is only ever held for a write, never for an HTTP wait.

The key is kept by the write (delete the stored answers of the batch's keys, insert the batch, in
one transaction) rather than by a PRIMARY KEY, which DuckLake does not have; files made before keep
theirs, and the same write respects it.

Failures are not cached: they are usually transient, and a re-run should try them again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone

import duckdb
import pandas as pd

from asknews_assets.llm.client import ChatClient, ChatRequest, Completion, Validator
from asknews_assets.warehouse.storage import write_transaction
from asknews_assets.warehouse.tables import LLM_CACHE


Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


class LLMCache:
    """The `llm_cache` table, reached through `connect` (a Warehouse's `get_connection`)."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect

    def lookup(self, model: str, prompt_version: str, input_hashes: Iterable[str]) -> dict[str, str]:
        """input_hash -> cached answer, for the hashes that are cached."""
        wanted = pd.DataFrame({"input_hash": sorted(set(input_hashes))}, dtype="object")
        if wanted.empty:
            return {}
        with self._connect() as conn:
            if not LLM_CACHE.exists(conn):
                return {}
            conn.register("_wanted", wanted)
            try:
                rows = conn.execute(
                    f"SELECT c.input_hash, c.answer FROM {LLM_CACHE} c JOIN _wanted w USING (input_hash)"
                    " WHERE c.model = ? AND c.prompt_version = ?",
                    [model, prompt_version],
                ).fetchall()
            finally:
                conn.unregister("_wanted")
        return dict(rows)

    def store(self, model: str, prompt_version: str, completions: Sequence[Completion]) -> None:
        """Write the usable answers among `completions` in one transaction."""
        rows = pd.DataFrame(
            [
                {
                    "model": model,
                    "prompt_version": prompt_version,
                    "input_hash": c.input_hash,
                    "answer": c.text,
                    "attempts": c.attempts,
                    "created_at": datetime.now(timezone.utc),
                }
                for c in completions
                if c.ok and not c.cached
            ]
        )
        if rows.empty:
            return

        def work(conn: duckdb.DuckDBPyConnection) -> None:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {LLM_CACHE} ({LLM_CACHE.ddl})")
            conn.execute(
                f"DELETE FROM {LLM_CACHE} WHERE model = ? AND prompt_version = ?"
                " AND input_hash IN (SELECT input_hash FROM _answers)",
                [model, prompt_version],
            )
            conn.execute(f"INSERT INTO {LLM_CACHE} BY NAME SELECT * FROM _answers")

        with self._connect() as conn:
            conn.register("_answers", rows)
            try:
                write_transaction(conn, work, LLM_CACHE.name)
            finally:
                conn.unregister("_answers")


def complete_many_cached(
    client: ChatClient,
    requests: Sequence[ChatRequest],
    *,
    cache: LLMCache,
    prompt_version: str,
    validate: Validator | None = None,
    flush_every: int = 32,
) -> list[Completion]:
    """`client.complete_many` behind the cache: hits cost nothing (`cached=True`, `attempts=0`).

    A cached answer that the current `validate` rejects counts as a miss and is asked again.
    """
    hashes = {r.key: client.input_hash(r.messages) for r in requests}
    if len(hashes) != len(requests):
        raise ValueError("request keys must be distinct")
    hits = cache.lookup(client.model, prompt_version, hashes.values())

    results: dict[str, Completion] = {}
    misses: list[ChatRequest] = []
    for request in requests:
        answer = hits.get(hashes[request.key])
        if answer is not None and not (validate and validate(answer)):
            results[request.key] = Completion(request.key, answer, None, 0, hashes[request.key], cached=True)
        else:
            misses.append(request)

    unsaved: list[Completion] = []
    try:
        for completion in client.iter_complete(misses, validate):
            results[completion.key] = completion
            if completion.ok:
                unsaved.append(completion)
            if len(unsaved) >= flush_every:
                cache.store(client.model, prompt_version, unsaved)
                unsaved = []
    finally:
        # Also on failure: what was paid for is kept for the next run.
        cache.store(client.model, prompt_version, unsaved)
    return [results[r.key] for r in requests]
