"""The reproduction check that closes every notebook.

Each notebook ends by listing the papers' claims it reproduces, the number it
measured for each, and whether the claim holds::

    checks = wk.reproduction.Checklist("WGAN-GP Figure 1a", notebook="03_wgan_gp")
    checks.at_least("GP critic peaks on >= 7 of 8 modes", paper="Fig. 1a", value=modes, threshold=7)
    checks.report(enforce=check_claims)

``report`` prints a table and a final line ``REPRODUCTION CHECK PASSED
(n/n claims)`` (or ``FAILED``), and with ``enforce=True`` raises
``AssertionError`` when a claim fails, so a notebook run at its default
parameters fails loudly if the reproduction breaks. It also writes the
claims with their numbers to ``claims.json`` in the notebook's output
folder, which ``python ci/notebooks.py seeds`` collects over five seeds into
``outputs/reproduction/seeds.json``.

Every claim is labelled with the number of those seeds in which it held. A
claim that held in fewer than :data:`SOLID` of them is *seed-dependent*: its
row says so, and it does not fail the check (its threshold is the paper's
claim and is never loosened to make a seed pass).

A claim that was tried at the paper's scale and did not reproduce is kept
in the table as a *negative result* (``add(..., negative="what was
tried")``): measured and reported like the others, never enforced.
"""

import json
import math
import numbers
import os

from wgan_keras import paths

PASSED = "REPRODUCTION CHECK PASSED"
FAILED = "REPRODUCTION CHECK FAILED"
#: Seeds (of the five) in which a claim must hold to be enforced.
SOLID = 4
SEEDS_FILE = ("reproduction", "seeds.json")


def _format(value):
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_format(v)}" for k, v in value.items())
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)


def _numbers(measured):
    """The measured numbers of a claim, by name ("" for a single number)."""
    if isinstance(measured, dict):
        return {str(k): float(v) for k, v in measured.items() if isinstance(v, numbers.Real)}
    if isinstance(measured, numbers.Real) and not isinstance(measured, bool):
        return {"": float(measured)}
    return {}


def seed_record(notebook):
    """The committed five-seed record of ``notebook`` (``{claim: {"held": k, "of": n}}``), or ``{}``."""
    path = os.path.join(paths.project_root() or "", "outputs", *SEEDS_FILE)
    try:
        with open(path) as handle:
            record = json.load(handle)["notebooks"][notebook]
    except (OSError, ValueError, KeyError):
        return {}
    return {row["claim"]: {"held": sum(row["held"]), "of": len(row["held"])} for row in record["claims"]}


class Checklist:
    """Claims of a paper, each with the number measured and a verdict.

    Args:
        title: the check's heading.
        notebook: the notebook's name (``"03_wgan_gp"``): its claims are
            written to ``claims.json`` in its output folder and labelled from
            the five-seed record.
    """

    def __init__(self, title, notebook=None):
        self.title = title
        self.notebook = notebook
        self.rows = []
        self.seeds = seed_record(notebook) if notebook else {}

    def add(self, claim, paper, measured, holds, negative=None):
        """Record one claim.

        Args:
            claim: the claim in words, with its threshold ("at least 7 of 8
                modes captured").
            paper: where the paper states it ("WGAN Fig. 4", "Table 1").
            measured: the number measured here, a dict of named numbers, or
                a short text.
            holds: whether the measurement satisfies the claim.
            negative: for a claim known not to reproduce here, what was
                tried: the row is reported as a negative result and never
                fails the check.
        """
        record = self.seeds.get(claim)
        solid = (record is None or record["held"] >= SOLID) and negative is None
        self.rows.append(
            {
                "claim": claim,
                "paper": paper,
                "measured": _format(measured),
                "values": _numbers(measured),
                "holds": bool(holds),
                "seeds": record,
                "enforced": solid,
                "negative": negative,
            }
        )
        return bool(holds)

    def at_least(self, claim, paper, value, threshold, negative=None):
        """A claim that ``value >= threshold``."""
        return self.add(claim, paper, value, value >= threshold, negative)

    def at_most(self, claim, paper, value, threshold, negative=None):
        """A claim that ``value <= threshold``."""
        return self.add(claim, paper, value, value <= threshold, negative)

    def within(self, claim, paper, value, low, high, negative=None):
        """A claim that ``low <= value <= high``."""
        return self.add(claim, paper, value, low <= value <= high, negative)

    @property
    def passed(self):
        return bool(self.rows) and all(row["holds"] for row in self.rows if row["enforced"])

    def table(self):
        lines = ["| claim | paper | measured | holds | seeds |", "|---|---|---|---|---|"]
        for row in self.rows:
            seeds = row["seeds"]
            label = "-" if seeds is None else f"{seeds['held']}/{seeds['of']}"
            if row["negative"]:
                label += f" (negative result; tried: {row['negative']})"
            elif not row["enforced"]:
                label += " (seed-dependent)"
            lines.append(
                f"| {row['claim']} | {row['paper']} | {row['measured']} | {'yes' if row['holds'] else 'NO'} | {label} |"
            )
        return "\n".join(lines)

    def report(self, enforce=True):
        """Print the table and the verdict; write ``claims.json``; raise when ``enforce`` and a claim fails."""
        if not self.rows:
            raise ValueError("The checklist is empty: add at least one claim.")
        enforced = [row for row in self.rows if row["enforced"]]
        held = sum(row["holds"] for row in enforced)
        verdict = PASSED if self.passed else FAILED
        negatives = sum(bool(row["negative"]) for row in self.rows)
        dependent = len(self.rows) - len(enforced) - negatives
        note = "".join(
            f"; {n} {kind} reported, not enforced"
            for n, kind in ((dependent, "seed-dependent claim(s)"), (negatives, "negative result(s)"))
            if n
        )
        print(f"{self.title}\n\n{self.table()}\n\n{verdict} ({held}/{len(enforced)} claims{note})")
        if self.notebook:
            self._write()
        if enforce and not self.passed:
            failed = [row["claim"] for row in enforced if not row["holds"]]
            raise AssertionError(f"{self.title}: claims not reproduced: {failed}")
        return self.passed

    def _write(self):
        from wgan_keras.backup import write_json

        keys = ("claim", "paper", "measured", "values", "holds", "negative")
        rows = [{k: row[k] for k in keys} for row in self.rows]
        write_json(os.path.join(paths.outputs_dir(self.notebook), "claims.json"), {"title": self.title, "claims": rows})
