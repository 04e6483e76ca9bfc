"""A progress bar on a terminal; silent when piped or in --json mode."""
from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def progress(total: int, description: str, quiet: bool = False):
    if quiet or not sys.stderr.isatty():
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
