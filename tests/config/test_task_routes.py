"""Queue routing (config/task_routes.py): deliveries and recomputes never share a queue."""

from config import task_routes
from config.celery import app as celery_app

PROJECT_APPS = ("config.", "belts.", "merchants.", "programs.", "logistics.")


def project_tasks() -> set[str]:
    celery_app.loader.import_default_modules()
    return {name for name in celery_app.tasks if name.startswith(PROJECT_APPS)}


def test_every_task_of_the_project_has_a_decided_queue_group():
    tasks = project_tasks()
    assert "merchants.tasks.notifications_deliver" in tasks  # discovery worked
    undecided = tasks - set(task_routes.GROUPS) - task_routes.DEFAULT_GROUP_TASKS
    assert not undecided, f"name a queue group for {sorted(undecided)} in config/task_routes.py"
    assert not (set(task_routes.GROUPS) | task_routes.DEFAULT_GROUP_TASKS) - tasks, "stale names"


def test_deliveries_recomputes_and_the_rest_go_to_three_queues(settings):
    settings.CELERY_NOTIFY_QUEUE = "n"
    settings.CELERY_RECOMPUTE_QUEUE = "r"
    settings.CELERY_TASK_DEFAULT_QUEUE = "d"
    router = celery_app.amqp.Router()

    def queue_of(name: str) -> str:
        return router.route({}, name)["queue"].name

    assert queue_of("merchants.tasks.notifications_deliver") == "n"
    assert queue_of("merchants.tasks.notifications_sweep") == "n"
    assert queue_of("programs.tasks.eligibility_recompute_chunk") == "r"
    assert queue_of("programs.tasks.eligibility_recompute_summary") == "r"
    assert queue_of("programs.tasks.nightly_recompute") == "r"
    assert queue_of("logistics.tasks.sla_breaches_check") == "d"
    # A caller's explicit queue still wins.
    assert router.route({"queue": "x"}, "programs.tasks.nightly_recompute")["queue"].name == "x"
