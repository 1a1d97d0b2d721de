"""Read dbt's output as fast as dbt writes it, whatever Dagster does with each line.

dagster-dbt reads dbt's stdout (one JSON line per dbt event) in the step's thread and turns each
result into Dagster events before it reads the next line. A model's result over a range run is
one materialisation per day (a SQLite commit each), so every model costs seconds of event
writing; meanwhile the pipe (64 KiB) fills and dbt stops until Dagster catches up. dbt's work and
Dagster's bookkeeping then add up instead of overlapping: over the demo's months, dbt spent most
of its time stopped. A thread that moves every line from the pipe into memory as soon as it
arrives lets dbt run to its end while the events are written; the events, their order and their
content are the same. A daily run writes a few dozen events and never filled the pipe.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Iterator
from typing import IO

_END = b""


class DrainedStream:
    """A read-only binary stream fed by a thread that empties `source` into an unbounded queue.

    It offers what dagster-dbt uses of `Popen.stdout`: iteration by line, `closed`, `close()`
    and the context manager. The memory held is the lines dbt wrote that Dagster has not yet
    consumed: a few MB for a whole dbt build's JSON log.
    """

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._lines: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._ended = False
        self._closed = False
        self._reader = threading.Thread(target=self._drain, name="dbt-stdout-drain", daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        try:
            with self._source:
                for line in self._source:
                    self._lines.put(line)
        finally:  # also after a read error: the consumer must not wait forever
            self._lines.put(_END)

    def __iter__(self) -> Iterator[bytes]:
        while not self._ended:
            line = self._lines.get()
            if line == _END:
                self._ended = True
                return
            yield line

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop yielding lines. The pipe itself is closed by the reader at its end (the child
        exited): closing it under a blocked read would wait for the child anyway."""
        self._closed = True
        self._ended = True

    def __enter__(self) -> DrainedStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def drain_stdout(process: subprocess.Popen) -> None:
    """Make `process.stdout` a `DrainedStream`: the child never waits on a full pipe."""
    if process.stdout is not None and not isinstance(process.stdout, DrainedStream):
        process.stdout = DrainedStream(process.stdout)  # type: ignore[assignment]
