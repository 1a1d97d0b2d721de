"""dbt's output is drained while Dagster is busy: the child process finishes without waiting."""

import subprocess
import sys

from orchestration.dbt.drain import DrainedStream, drain_stdout

# 20,000 lines of ~100 bytes: 2 MB, thirty times a Linux pipe's 64 KiB.
_WRITER = (
    "import sys\nfor n in range(20_000):\n    sys.stdout.write(f'{n:06d} ' + 'x' * 93 + '\\n')\n"
)


def test_child_writing_more_than_the_pipe_holds_ends_before_anything_is_read() -> None:
    process = subprocess.Popen([sys.executable, "-c", _WRITER], stdout=subprocess.PIPE)
    try:
        drain_stdout(process)
        # Without the drain the child blocks on the full pipe and this times out.
        assert process.wait(timeout=60) == 0
        with process.stdout as stream:
            lines = list(stream)
    finally:
        process.kill()
        process.wait()
    assert len(lines) == 20_000
    assert lines[0] == b"000000 " + b"x" * 93 + b"\n"
    assert lines[-1].startswith(b"019999 ")
    assert stream.closed


def test_a_closed_stream_yields_nothing_more() -> None:
    process = subprocess.Popen([sys.executable, "-c", _WRITER], stdout=subprocess.PIPE)
    try:
        drain_stdout(process)
        stream = process.stdout
        assert isinstance(stream, DrainedStream)
        first = next(iter(stream))
        stream.close()
        assert list(stream) == []
        assert first.startswith(b"000000 ")
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        process.wait()
