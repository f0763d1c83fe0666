from __future__ import annotations

import random
import time
from typing import Callable


class Client:
    def __init__(
        self,
        transport,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.transport = transport
        self.sleep = sleep
        self.rng = rng

    def get(self, path: str) -> str:
        return self.transport.request(path)
