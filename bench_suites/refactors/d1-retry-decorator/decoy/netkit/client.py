from __future__ import annotations

import random
import time
from typing import Callable

from netkit.errors import TransientError
from netkit.retry import retry


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
        call = retry(
            attempts=4,
            base_delay=0.5,
            factor=2.0,
            max_delay=4.0,
            jitter=0.1,
            retry_on=TransientError,
            sleep=self.sleep,
            rng=self.rng,
        )(self.transport.request)
        return call(path)
