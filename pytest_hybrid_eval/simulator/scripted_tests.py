"""What the scripted model says to a test cell: a user's pytest test that calls the model through ``hybrid_cell``.

A task folder gives the simulator a reference solution and a decoy; a plain test has neither, so the test
declares both with ``@pytest.mark.hybrid_task(reference=..., decoy=..., difficulty=...)`` and the plugin
registers them here (``PUT /scripts/<task id>``) before the test's first call. Each call is then answered
with the reference or the decoy by the same skill draw as a task's cells (tier, difficulty, call index and
seed; never the strategy), so strategies compare on test cells exactly as on task cells.

The script crosses processes (an xdist worker registers it with the controller's server), hence a pydantic
model. Registering the same script twice is a no-op; a different script under the same task id is refused
(409), since one task id must mean one question.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from pytest_hybrid_eval.cells import Cell
from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.simulator import skill
from pytest_hybrid_eval.tasks.model import Difficulty

#: The route a test cell's script is registered under (``{task_id}`` is the test cell's task id).
SCRIPTS_ROUTE = "/scripts/{task_id}"


class TestScript(BaseModel):
    """The two answers the scripted model chooses between for one test, and how hard the test is."""

    __test__ = False  # a schema, not a pytest test class
    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: str
    decoy: str
    difficulty: Difficulty = "medium"


class ScriptBook:
    """The registered scripts of a running scripted server, by task id."""

    def __init__(self) -> None:
        self._scripts: dict[str, TestScript] = {}

    def get(self, task_id: str) -> TestScript | None:
        return self._scripts.get(task_id)

    async def put(self, request: web.Request) -> web.Response:
        task_id = request.match_info["task_id"]
        try:
            script = TestScript.model_validate_json(await request.read())
        except ValidationError as exc:
            return web.json_response({"error": f"not a test script: {exc.errors()[0]['msg']}"}, status=400)
        known = self._scripts.setdefault(task_id, script)
        if known != script:
            return web.json_response({"error": f"task {task_id!r} already has a different script"}, status=409)
        return web.json_response({"task_id": task_id})


def answer(config: SweepConfig, script: TestScript, cell: Cell, call_index: int,
           tier: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The reply to one call of a test cell, and the ``X-Scripted-*`` headers describing it."""
    correct = skill.answers_correctly(getattr(config.scripted, tier), script.difficulty, cell.id, call_index,
                                      cell.seed, tier)
    text = script.reference if correct else script.decoy
    return {"role": "assistant", "content": text}, {"X-Scripted-Kind": "test",
                                                     "X-Scripted-Correct": "1" if correct else "0"}
