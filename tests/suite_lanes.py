"""urllib3's suite with the fast lane on, then off (``URLLIB3_RS_NO_LANE=1``).

Both runs must pass the ratchet (``tests/urllib3-suite.min``), and a test that passes with
the lane off but not with it on is a failure of the lane: this script lists such tests and
exits 1. Usage: ``suite_lanes.py HARNESS PYTHON RATCHET_FILE``.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys


def run_suite(harness: str, python: str, minimum: int, lane: bool) -> tuple[int, dict[str, str]]:
    """The harness's exit code and each test's outcome."""
    env = dict(os.environ, U3_SUITE_MIN_PASSED=str(minimum))
    env.pop("URLLIB3_RS_NO_LANE", None)
    if not lane:
        env["URLLIB3_RS_NO_LANE"] = "1"
    print(f"== urllib3's suite, fast lane {'on' if lane else 'off'}", flush=True)
    code = subprocess.call([harness, python], env=env)
    cache = pathlib.Path(os.environ.get("U3_SUITE_CACHE", "/tmp/urllib3-suite-cache"))
    outcomes = {}
    with open(cache / "runs" / "last-events.jsonl") as events:
        for line in events:
            event = json.loads(line)
            if event.get("k") == "t":
                outcomes[event["id"]] = event["o"]
    return code, outcomes


def main() -> int:
    harness, python, ratchet = sys.argv[1:4]
    text = pathlib.Path(ratchet).read_text().strip()
    if not text.isdigit():
        print(f"{ratchet} must hold the ratchet (a count of passed tests)", file=sys.stderr)
        return 1
    minimum = int(text)
    on_code, on = run_suite(harness, python, minimum, lane=True)
    off_code, off = run_suite(harness, python, minimum, lane=False)
    only_without_lane = sorted(t for t, o in off.items() if o == "passed" and on.get(t) != "passed")
    for test in only_without_lane:
        print(f"passes only without the fast lane: {test} (with it: {on.get(test, 'not run')})")
    passed_on = sum(o == "passed" for o in on.values())
    passed_off = sum(o == "passed" for o in off.values())
    print(f"passed: {passed_on} with the fast lane, {passed_off} without (ratchet {minimum})")
    return 1 if on_code or off_code or only_without_lane else 0


if __name__ == "__main__":
    sys.exit(main())
