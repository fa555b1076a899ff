"""The README's before/after table from two `bench/run.py --only load` JSON files.

  .venv/bin/python bench/compare.py BEFORE.json AFTER.json

Each side's figures are from its own run: req/s (median of the rounds) and the ratio to
the flaskr-style page of that same run, which is what the goals are about."""

import json
import sys


def main() -> None:
    before, after = (json.loads(open(path, encoding="utf-8").read()) for path in sys.argv[1:3])
    old = {t["name"]: t for t in before["targets"]}
    print("| target | before req/s | before × flaskr | after req/s | after × flaskr | goal | met |")
    print("|---|---:|---:|---:|---:|---|---|")
    for target in after["targets"]:
        was = old.get(target["name"], {})
        goal = target.get("goal_vs_flaskr")
        met = "" if goal is None else ("yes" if target["vs_flaskr"] >= goal else "no")
        print(
            f"| {target['name']} | {was.get('median_rps', '')} | {was.get('vs_flaskr', '')} "
            f"| {target['median_rps']} | {target['vs_flaskr']} "
            f"| {'' if goal is None else f'≥ {goal}'} | {met} |"
        )
    for label, run in (("before", before), ("after", after)):
        machine = run["machine"]
        print(
            f"\n{label}: commit {machine['commit']}, {run['started']}, load average "
            f"{machine['loadavg_at_start'][0]:.1f} at start, {machine['loadavg_at_end'][0]:.1f} at end"
        )


if __name__ == "__main__":
    main()
