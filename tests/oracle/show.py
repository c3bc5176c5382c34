#!/usr/bin/env python3
"""Print recorded oracle cases as a terminal transcript.

usage: show.py FIXTURE.json [CASE-ID-SUBSTRING ...]

Each command is shown as `$ line` (or `@outside$ line`), then its stdout, its stderr
prefixed with `! `, and `[exit N]` when the exit code is not 0.
"""
import json
import sys


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        fixture = json.load(f)
    wanted = sys.argv[2:]
    for case in fixture["cases"]:
        if wanted and not any(w in case["id"] for w in wanted):
            continue
        print(f"=== {case['id']}")
        for note in case["notes"]:
            print(f"# {note}")
        for step in case["steps"]:
            prompt = "$" if step["where"] == "host" else f"@{step['where']}$"
            print(f"{prompt} {step['line']}")
            if "expanded" in step:
                print(f"  (ran: {step['expanded']})")
            if step["stdout"]:
                print(step["stdout"], end="" if step["stdout"].endswith("\n") else "\n[no newline]\n")
            for line in step["stderr"].splitlines():
                print(f"! {line}")
            if step["timed_out"]:
                print("[timed out]")
            elif step["exit_code"] != 0:
                print(f"[exit {step['exit_code']}]")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
