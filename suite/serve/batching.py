"""Micro-batching: requests for the same model that arrive together are predicted in one call.

One worker task per model takes the oldest waiting request, then gathers the others with the same
options until ``max_batch`` are waiting or ``max_wait_ms`` have passed, and runs the batch in the model's
own thread (so the event loop stays free and torch is never used by two threads on one model). While a
batch runs, new requests queue up and form the next batch, so batches grow with the load by themselves.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Hashable


@dataclass
class _Item:
    key: Hashable
    file: str
    future: asyncio.Future
    queued: float = field(default_factory=time.perf_counter)


@dataclass
class BatchStats:
    """What the batcher did, for /v1/models and the benchmark."""

    batches: int = 0
    requests: int = 0
    largest: int = 0
    busy_seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"batches": self.batches, "requests": self.requests, "largest_batch": self.largest,
                "mean_batch": round(self.requests / self.batches, 2) if self.batches else 0.0,
                "busy_seconds": round(self.busy_seconds, 3)}


class MicroBatcher:
    """Batches calls of ``run(key, files) -> {file: result}`` for one model.

    ``key`` groups requests that may share a call (same options); ``max_batch=1`` turns batching off
    (requests are still served one at a time in the model's thread).
    """

    def __init__(self, run: Callable[[Hashable, list[str]], dict], max_batch: int = 16, max_wait_ms: float = 10.0,
                 name: str = "model"):
        self.run = run
        self.max_batch = max(1, max_batch)
        self.max_wait = max(0.0, max_wait_ms) / 1000
        self.stats = BatchStats()
        self._queue: deque[_Item] = deque()
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"serve-{name}")
        self._task: asyncio.Task | None = None

    async def submit(self, key: Hashable, file: str):
        """The result for ``file``; cancelled with the request (a timeout) without disturbing others."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._worker())
        item = _Item(key, file, asyncio.get_running_loop().create_future())
        self._queue.append(item)
        self._wake.set()
        return await item.future

    def _take(self) -> list[_Item]:
        """The oldest live request and up to max_batch - 1 more with the same key, in arrival order."""
        while self._queue and self._queue[0].future.done():  # cancelled while waiting
            self._queue.popleft()
        if not self._queue:
            return []
        key = self._queue[0].key
        batch = [i for i in self._queue if i.key == key and not i.future.done()][:self.max_batch]
        taken = {id(i) for i in batch}
        self._queue = deque(i for i in self._queue if id(i) not in taken and not i.future.done())
        return batch

    def _ready(self) -> int:
        key = self._queue[0].key if self._queue else None
        return sum(1 for i in self._queue if i.key == key and not i.future.done())

    async def _worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            # gather: wait until the batch is full or the oldest request has waited max_wait
            deadline = self._queue[0].queued + self.max_wait
            while self.max_batch > 1 and self._ready() < self.max_batch:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), left)
                except asyncio.TimeoutError:
                    break
            batch = self._take()
            if not batch:
                continue
            t0 = time.perf_counter()
            try:
                results = await loop.run_in_executor(self._executor, self.run, batch[0].key, [i.file for i in batch])
            except Exception as err:  # noqa: BLE001 - handed to the waiting requests, the worker goes on
                for i in batch:
                    if not i.future.done():
                        i.future.set_exception(err)
            else:
                for i in batch:
                    if not i.future.done():
                        i.future.set_result(results.get(i.file))
            finally:
                self.stats.batches += 1
                self.stats.requests += len(batch)
                self.stats.largest = max(self.stats.largest, len(batch))
                self.stats.busy_seconds += time.perf_counter() - t0

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        self._executor.shutdown(wait=False, cancel_futures=True)
