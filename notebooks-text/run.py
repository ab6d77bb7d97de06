#!/usr/bin/env python3
"""Re-executes the commands of ujm's text notebooks and rewrites their output blocks.

A page is Markdown: each command sits in a ```sh block and is followed by an ```output block
holding what it printed (stdout, then stderr). Commands run from the repository root, in order,
with bash.

    python3 notebooks-text/run.py PAGE.md ...          rewrite the output blocks in place
    python3 notebooks-text/run.py --check PAGE.md ...  report pages whose outputs no longer match

--check ignores lines that report timings (seconds, samples/s, ms) and exits 1 on any mismatch.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMING = re.compile(
    r'(\d+(\.\d+)?(e[-+]?\d+)?\s*(s|ms|seconds)\b|samples/s|"seconds"|seconds|elapsed|GFLOP)',
    re.IGNORECASE)
BLOCK = re.compile(r'```sh\n(.*?)```\n(\s*```output\n.*?```\n)?', re.DOTALL)


def run(command):
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        out += f"[exit status {proc.returncode}]\n"
    return out if out.endswith("\n") or not out else out + "\n"


def comparable(text):
    return [line for line in text.splitlines() if not TIMING.search(line)]


def process(path, check):
    with open(path) as f:
        page = f.read()
    mismatches = []

    def replace(match):
        command = match.group(1)
        fresh = run(command)
        old = match.group(2) or ""
        old_body = re.sub(r'^\s*```output\n|```\n$', '', old)
        if comparable(old_body) != comparable(fresh):
            mismatches.append(command.strip())
        return f"```sh\n{command}```\n\n```output\n{fresh}```\n"

    new_page = BLOCK.sub(replace, page)
    if check:
        for c in mismatches:
            print(f"{path}: output of `{c}` no longer matches")
        return not mismatches
    with open(path, "w") as f:
        f.write(new_page)
    print(f"{path}: {len(BLOCK.findall(page))} commands re-executed")
    return True


def main(argv):
    check = "--check" in argv
    pages = [a for a in argv if a != "--check"]
    if not pages:
        print(__doc__)
        return 64
    ok = all([process(p, check) for p in pages])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
