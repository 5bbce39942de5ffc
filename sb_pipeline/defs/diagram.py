"""The asset graph as a Mermaid diagram, drawn from the definitions themselves.

`python scripts/asset_graph.py --write` puts it in the README between its markers, and a test fails
when the README's copy no longer matches the code, so the picture cannot drift from the pipeline.
"""

from __future__ import annotations

import dagster as dg

START, END = "<!-- asset-graph:start -->", "<!-- asset-graph:end -->"


def _target_keys(target, repo) -> list[str]:
    if target is None:
        return []
    selection = getattr(target, "asset_selection", None)
    if selection is None:
        job = repo.get_job(target.job_name)
        selection = job.asset_layer.selected_asset_keys if job.asset_layer else set()
        return sorted(k.to_user_string() for k in selection)
    return sorted(k.to_user_string() for k in selection.resolve(repo.asset_graph))


def mermaid(definitions: dg.Definitions) -> str:
    """Groups as subgraphs, dependencies as arrows, schedules and sensors as dotted arrows to what they start."""
    repo = definitions.get_repository_def()
    graph = repo.asset_graph
    groups: dict[str, list[str]] = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        groups.setdefault(graph.get(key).group_name, []).append(key.to_user_string())
    lines = ["flowchart LR"]
    for group, assets in sorted(groups.items()):
        lines.append(f"  subgraph {group}")
        lines.extend(f"    {asset}[{asset}]" for asset in assets)
        lines.append("  end")
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        for parent in sorted(graph.get(key).parent_keys, key=lambda k: k.to_user_string()):
            lines.append(f"  {parent.to_user_string()} --> {key.to_user_string()}")
    for schedule in sorted(repo.schedule_defs, key=lambda s: s.name):
        lines.append(f'  {schedule.name}(["{schedule.name}: {schedule.cron_schedule} {schedule.execution_timezone or "UTC"}"])')
        lines.extend(f"  {schedule.name} -.-> {asset}" for asset in _target_keys(schedule.target, repo) or [])
    for sensor in sorted(repo.sensor_defs, key=lambda s: s.name):
        if isinstance(sensor, dg.AutomationConditionSensorDefinition) or not sensor.targets:
            continue  # automation drives every eager asset (said in the README); housekeeping starts nothing
        lines.append(f"  {sensor.name}{{{{{sensor.name}}}}}")
        for target in sensor.targets:
            lines.extend(f"  {sensor.name} -.-> {asset}" for asset in _target_keys(target, repo))
    return "\n".join(lines)


def readme_block(definitions: dg.Definitions) -> str:
    return f"{START}\n```mermaid\n{mermaid(definitions)}\n```\n{END}"
