#!/usr/bin/env python3
"""A planner agent: splits a task into subtasks at run time, and works on them too.

For a planner task (the coordinator sends it `max_subtasks`), the description lists topics (`topics: a, b, c`); the result
is `{"subtasks": [...]}` in the scenario's task format: one `research-TOPIC` task per topic and a
`merge` task that depends on them (the coordinator adds them to the running DAG). A description
containing `cycle` returns a plan whose two tasks wait for each other, which the coordinator
rejects. Any other task is answered with what it was given.
"""

import os
import sys

sys.dont_write_bytecode = True  # keep assets/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from switchyard_agent import Agent  # noqa: E402


def plan(task):
    if "cycle" in task.description:
        return {"subtasks": [
            {"id": "left", "capability": "research", "depends_on": ["right"]},
            {"id": "right", "capability": "research", "depends_on": ["left"]},
        ]}
    topics = [t.strip() for t in task.description.split(":", 1)[-1].split(",") if t.strip()]
    research = [{"id": "research-" + t, "capability": "research", "description": t} for t in topics]
    merge = {"id": "merge", "capability": "research", "description": "merge the research",
             "depends_on": [r["id"] for r in research]}
    return {"planned_by": task.agent_id, "limit": task.max_subtasks, "subtasks": (research + [merge])[:task.max_subtasks]}


def work(task):
    if task.max_subtasks is not None:
        return plan(task)
    return {"done": task.description, "inputs": sorted(task.inputs), "by": task.agent_id}


if __name__ == "__main__":
    Agent(sys.argv[1] if len(sys.argv) > 1 else "planner", ["plan", "research"]).on_task(work).run()
