"""Who has done what in a Label Studio project: per annotator, per task, and agreement so far.

Read live from the tasks API (every task with its annotations), nothing written.  Counts are by annotator: a task
"has k annotations" when k different annotators submitted one (a skip is not an annotation), and it is complete
when k reaches its overlap (Label Studio's per-task ``overlap``, set from the project's ``--overlap``).  Agreement
is `toolkit agree`'s `compute_agreement` on the submitted annotations that convert (the same checks as
``toolkit pull``), so its figures and keys are the ones `toolkit agree` gives on the pulled files.
"""

from __future__ import annotations

import functools
import io
import json
import statistics
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from toolkit.errors import InputError
from toolkit.labelstudio.annotations.reading import annotator_name
from toolkit.labelstudio.annotations.store import convert_tasks
from toolkit.labelstudio.client import Connection, Overlap, find_project, server_errors, user_emails

PAGE_SIZE = 500


def project_tasks(studio: Connection, project_id: int) -> Iterator[dict[str, Any]]:
    """Every task of the project with its annotations in full (``fields=all``), page by page."""
    with server_errors(studio.url, "list the project's tasks"):
        for task in studio.sdk.tasks.list(project=project_id, fields="all", page_size=PAGE_SIZE):
            yield {
                "id": task.id,
                "data": task.data,
                "overlap": task.overlap or 1,
                "annotations": [dict(annotation) for annotation in task.annotations or []],
            }


def _annotator_figures(annotations: list[Mapping[str, Any]]) -> dict[str, Any]:
    submitted = [a for a in annotations if not a.get("was_cancelled")]
    lead_times = [
        float(a["lead_time"])
        for a in submitted
        if isinstance(a.get("lead_time"), (int, float)) and not isinstance(a.get("lead_time"), bool)
    ]
    moments = [str(a.get("updated_at") or a.get("created_at") or "") for a in annotations]
    return {
        "submitted": len(submitted),
        "skipped": len(annotations) - len(submitted),
        "median_lead_time_seconds": statistics.median(lead_times) if lead_times else None,
        "total_lead_time_seconds": sum(lead_times, 0.0),
        "last_activity": max(filter(None, moments), default=None),
    }


def summarise(
    tasks: list[Mapping[str, Any]], users: Mapping[int, str], overlap: Overlap, project: Mapping[str, Any]
) -> dict[str, Any]:
    """The progress figures of tasks as the tasks API returns them (see the module docstring)."""
    from toolkit.agreement.figures import compute_agreement

    by_annotator: dict[str, list[Mapping[str, Any]]] = {name: [] for name in sorted(users.values())}
    annotated_by: Counter = Counter()
    complete = needed = 0
    for task in tasks:
        annotations = task["annotations"]
        for annotation in annotations:
            by_annotator.setdefault(annotator_name(annotation.get("completed_by"), users), []).append(annotation)
        annotators = {annotator_name(a.get("completed_by"), users) for a in annotations if not a.get("was_cancelled")}
        annotated_by[len(annotators)] += 1
        complete += len(annotators) >= task["overlap"]
        needed += max(task["overlap"] - len(annotators), 0)
    conversion = convert_tasks(tasks, users=dict(users))
    try:
        records, not_converted = conversion.records(), conversion.rejected()
    finally:
        conversion.close()
    widest = max([overlap.annotators, *annotated_by])
    agreement = compute_agreement(records, [f"{project['url']} project {project['title']!r}"])
    return {
        "kind": "progress",
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "project": {**project, "overlap": overlap.annotators, "overlap_share": overlap.share},
        "tasks": {
            "total": len(tasks),
            "by_annotators": {str(count): annotated_by[count] for count in range(widest + 1)},
            "complete": complete,
            "left": len(tasks) - complete,
            "annotations_needed": needed,
        },
        "annotations": {
            "submitted": conversion.submitted,
            "skipped": conversion.cancelled,
            "not_converted": not_converted,
        },
        "annotators": {name: _annotator_figures(annotations) for name, annotations in sorted(by_annotator.items())},
        "agreement": agreement,
    }


def collect_progress(studio: Connection, title: str) -> dict[str, Any]:
    """Progress of the project titled ``title`` on the server, read now."""
    found = find_project(studio, title)
    if found is None:
        raise InputError(
            f"no project titled {title!r} on {studio.url} (expected an existing project; `toolkit push` creates it)",
            parameter="project",
        )
    users = user_emails(studio)
    tasks = list(project_tasks(studio, found.id))
    return summarise(tasks, users, Overlap.of(found), {"title": title, "id": found.id, "url": studio.url})


# --- output ---


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def _moment(value: str | None) -> str:
    if not value:
        return "–"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def format_table(progress: Mapping[str, Any], width: int = 100) -> str:
    """Two rich tables (annotators, tasks) and the agreement headline, as text for a terminal."""
    from rich.console import Console
    from rich.table import Table

    from toolkit.agreement.figures import headline

    project, tasks, annotations = progress["project"], progress["tasks"], progress["annotations"]
    overlap = Overlap(project["overlap"], project["overlap_share"])
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False, color_system=None)
    say = functools.partial(console.print, soft_wrap=True)
    say(f"project {project['title']!r} (id {project['id']}) on {project['url']}: {overlap}")

    people = Table(title="annotators", title_justify="left")
    for column in ("annotator", "submitted", "skipped", "median lead time", "total lead time", "last active (UTC)"):
        people.add_column(column, justify="left" if column[0] in "al" else "right", no_wrap=True)
    for name, figures in progress["annotators"].items():
        people.add_row(
            name,
            str(figures["submitted"]),
            str(figures["skipped"]),
            _duration(figures["median_lead_time_seconds"]),
            _duration(figures["total_lead_time_seconds"]),
            _moment(figures["last_activity"]),
        )
    console.print(people)

    counts = Table(title="tasks", title_justify="left")
    counts.add_column("annotators who submitted", justify="right")
    counts.add_column("tasks", justify="right")
    for count, number in tasks["by_annotators"].items():
        counts.add_row(count, str(number))
    console.print(counts)
    say(
        f"{tasks['complete']} of {tasks['total']} task(s) complete, {tasks['left']} left "
        f"({tasks['annotations_needed']} annotation(s) still needed); "
        f"{annotations['submitted']} submitted, {annotations['skipped']} skipped"
        + (
            f", {annotations['not_converted']} not convertible (left out of agreement; `toolkit pull` lists why)"
            if annotations["not_converted"]
            else ""
        )
    )
    for line in headline(progress["agreement"]):
        say(f"agreement: {line}")
    return buffer.getvalue()


def format_json(progress: Mapping[str, Any], width: int = 100) -> str:
    return json.dumps(progress, ensure_ascii=False, indent=2) + "\n"


FORMATTERS: dict[str, Callable[..., str]] = {"table": format_table, "json": format_json}
