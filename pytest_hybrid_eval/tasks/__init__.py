"""Task model, directory loader and suite discovery."""

from pytest_hybrid_eval.tasks.model import Task, discover_tasks, load_task

__all__ = ["Task", "discover_tasks", "load_task"]
