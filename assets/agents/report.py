#!/usr/bin/env python3
"""A report agent: turns its inputs (the outputs of the tasks it depends on) into a short Markdown
report, and checks that the word counts of different agents agree (standard library only).

It understands the outputs of summarize.py (`files`: path, words, summary, top_words) and of
wordcount.sh (`counts`: path -> words); anything else is listed as is. The report is the task's
output; nothing is written to disk.

    python3 assets/agents/report.py [AGENT_ID]     # default id: reporter; capability: report
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # keep assets/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from switchyard_agent import Agent  # noqa: E402


def report(task):
    summaries, counts, other = {}, {}, {}
    for dep, output in sorted(task.inputs.items()):
        if isinstance(output, dict) and isinstance(output.get("files"), list):
            for f in output["files"]:
                summaries[f["path"]] = f
        elif isinstance(output, dict) and isinstance(output.get("counts"), dict):
            counts.update(output["counts"])
        else:
            other[dep] = output
    lines = ["# " + (task.description or "Report"), ""]
    for path in sorted(set(summaries) | set(counts)):
        s = summaries.get(path, {})
        lines.append("## %s" % path)
        if s:
            lines.append("%s (top words: %s)" % (s.get("summary", ""), ", ".join(s.get("top_words", []))))
        lines.append("words: %s (summarizer), %s (wc)" % (s.get("words", "?"), counts.get(path, "?")))
        lines.append("")
    for dep, output in other.items():
        lines.append("## %s" % dep)
        lines.append("```\n%s\n```" % json.dumps(output, sort_keys=True))
    # Tokenizers differ a little (apostrophes, numbers): agreement within 10% is a pass.
    checks = {}
    for path in sorted(set(summaries) & set(counts)):
        a, b = summaries[path].get("words", 0), counts[path]
        checks[path] = abs(a - b) <= max(a, b) * 0.1
    return {"markdown": "\n".join(lines), "files": len(set(summaries) | set(counts)), "counts_agree": checks}


if __name__ == "__main__":
    Agent(sys.argv[1] if len(sys.argv) > 1 else "reporter", ["report"]).on_task(report).run()
