#!/usr/bin/env python3
"""Re-executes the commands of ujm's text notebooks and rewrites their output blocks.

A page is Markdown: each command sits in a ```sh block and is followed by an ```output block
holding what it printed (stdout, then stderr). Commands run from the repository root, in order,
with bash.

    python3 notebooks-text/run.py PAGE.md ...          rewrite the output blocks in place
    python3 notebooks-text/run.py --check PAGE.md ...  report outputs that changed beyond tolerance

--check compares the fresh output with the page's line by line, so that it passes on another
machine (another OpenBLAS core type or thread count) and fails only when a result changes:
  - environment is ignored: lines that report timings (seconds, samples/s, ms, GFLOP) are
    dropped, and the BLAS core and thread count ("BLAS: Haswell, 2 thread(s)", "BLAS core
    Haswell, 2 threads", "BLAS Haswell × 2 threads") are masked;
  - the text around the numbers must be equal (runs of spaces count as one), so must every
    integer (counts, indices, seeds) and every verdict (pass / FAIL);
  - a decimal number a may become b when |a − b| ≤ max(rel·max(|a|, |b|), one unit in the last
    digit either prints, floor): rel = 1e-9 for figures of merit (F, f*, accuracies, singular
    values); floor = 1e-12 for quantities that are themselves rounding residuals (F − f*, ‖∇g‖,
    a gap of 1e-17); and on a check line "measured m, tolerance T", m's floor is T, the
    tolerance that check states, and its verdict must not change; where a check line says
    which block or pair is worst ("(worst J_3)"), that is not compared: below the tolerance
    the worst one is decided by rounding.
A block may state other values in an HTML comment on the line before its ```sh fence:
<!-- check: rel=1e-3 floor=1e-8 '‖∇F‖=1e-9' 'with sign det=1' -->: rel and floor for the
block, and LABEL=VALUE, the floor of each number (integers included) written right after
LABEL ("‖∇F‖ = 7.6e-10") or right before it ("429 with sign det = −1"). Every mismatch is
printed with the numbers, the difference and the tolerance it exceeded; --check exits 1 on any
mismatch.
"""
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMING = re.compile(
    r'(\d+(\.\d+)?(e[-+]?\d+)?\s*(s|ms|seconds)\b|samples/s|"seconds"|seconds|elapsed|GFLOP)',
    re.IGNORECASE)
# The BLAS core type and thread count, in each form the reports print them.
ENVIRONMENT = re.compile(
    r'BLAS(?: core)?:? [A-Za-z0-9_]+(?:,| ×) \d+ thread(?:s|\(s\))?')
BLOCK = re.compile(
    r'(<!-- check:([^>]*)-->\n)?```sh\n(.*?)```\n(\s*```output\n.*?```\n)?', re.DOTALL)
NUMBER = re.compile(r'(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])')
CHECK_LINE = re.compile(r'measured (\S+), tolerance ([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)')
# "(worst J_16)", "(worst v₁(J_1), u₁(J_16))": where a check's maximum is attained.
WORST = re.compile(r'\(worst (?:[^()]|\([^()]*\))*\)')
DEFAULTS = {"rel": 1e-9, "floor": 1e-12}


def run(command):
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        out += f"[exit status {proc.returncode}]\n"
    return out if out.endswith("\n") or not out else out + "\n"


def comparable(text):
    """The lines that --check compares: timing lines dropped, the BLAS environment masked."""
    return [ENVIRONMENT.sub("BLAS <environment>", line) for line in text.splitlines()
            if not TIMING.search(line)]


def last_digit_unit(token):
    """One unit in the last printed digit of a decimal token: 0.01 for '83.99', 1e-9 for
    '3.1e-08'."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def parse_tolerances(comment):
    """rel, floor and the label floors ("labels": {label: floor}) of a block's comment."""
    tolerances = dict(DEFAULTS, labels={})
    for item in shlex.split(comment or ""):
        key, equals, value = item.rpartition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not equals or not key or number is None:
            raise ValueError(f"'{item}' in <!-- check:{comment}--> is not NAME=NUMBER")
        if key in DEFAULTS:
            tolerances[key] = number
        else:
            tolerances["labels"][key] = number
    return tolerances


def label_floor(line, match, labels):
    """The floor a block's comment gives the number `match` by its label, or None."""
    before = line[:match.start()].rstrip(" =:")
    after = line[match.end():].lstrip()
    floors = [v for k, v in labels.items() if before.endswith(k) or after.startswith(k)]
    return max(floors) if floors else None


def compare_lines(old, new, tolerances=None):
    """None when `new` matches `old` within the tolerances, else why not (one line)."""
    tolerances = tolerances or parse_tolerances("")
    check = CHECK_LINE.search(old)
    if check and CHECK_LINE.search(new):
        old, new = WORST.sub("(worst …)", old), WORST.sub("(worst …)", new)
        check = CHECK_LINE.search(old)
    old_numbers, new_numbers = NUMBER.findall(old), NUMBER.findall(new)
    old_text = " ".join(NUMBER.sub("#", old).split())
    new_text = " ".join(NUMBER.sub("#", new).split())
    if old_text != new_text or len(old_numbers) != len(new_numbers):
        return "the text differs"
    # On a check line, the position among the numbers of the measured value and its floor.
    matches = list(NUMBER.finditer(old))
    starts = [m.start() for m in matches]
    measured = starts.index(check.start(1)) if check and check.start(1) in starts else None
    for k, (a, b) in enumerate(zip(old_numbers, new_numbers)):
        labelled = label_floor(old, matches[k], tolerances["labels"])
        integer = not re.search(r'[.eE]', a + b)
        if integer and labelled is None:
            if int(a) != int(b):
                return f"{a} became {b} (integers must be equal)"
            continue
        x, y = float(a), float(b)
        floor, why = tolerances["floor"], "the floor for rounding residuals"
        if k == measured:
            floor, why = float(check.group(2)), "the tolerance this check states"
        if labelled is not None:
            floor, why = labelled, "the floor this block states for its label"
        relative = tolerances["rel"] * max(abs(x), abs(y))
        printed = max(last_digit_unit(a), last_digit_unit(b))
        allowed = max(relative, printed, floor)
        if abs(x - y) > allowed:
            reason = ("relative" if allowed == relative else
                      "the printed precision" if allowed == printed else why)
            return (f"{a} became {b}: differs by {abs(x - y):.2g} > {allowed:.2g} "
                    f"({reason})")
    return None


def compare(old_text, new_text, tolerances=None):
    """The mismatches between two outputs, one line each (empty when they match)."""
    old, new = comparable(old_text), comparable(new_text)
    problems = []
    for k, (a, b) in enumerate(zip(old, new)):
        why = compare_lines(a, b, tolerances)
        if why:
            problems.append(f"line {k + 1}: {why}\n    was: {a.strip()}\n    now: {b.strip()}")
    if len(old) != len(new):
        problems.append(f"{len(old)} lines compared before, {len(new)} now")
    return problems


def process(path, check):
    with open(path) as f:
        page = f.read()
    mismatches = []

    def replace(match):
        comment, settings, command = match.group(1) or "", match.group(2), match.group(3)
        fresh = run(command)
        old = match.group(4) or ""
        old_body = re.sub(r'^\s*```output\n|```\n$', '', old)
        for problem in compare(old_body, fresh, parse_tolerances(settings)):
            mismatches.append((command.strip(), problem))
        return f"{comment}```sh\n{command}```\n\n```output\n{fresh}```\n"

    new_page = BLOCK.sub(replace, page)
    if check:
        for command, problem in mismatches:
            print(f"{path}: output of `{command}` no longer matches: {problem}")
        if not mismatches:
            print(f"{path}: every output matches within its tolerance")
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
