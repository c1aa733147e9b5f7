"""The reproduction check that closes every notebook.

Each notebook ends by listing the papers' claims it reproduces, the number
it measured for each, and whether the claim holds::

    checks = wk.reproduction.Checklist("WGAN-GP Figure 1a")
    checks.add("GP critic captures all 8 modes", paper="Fig. 1a", measured=modes, holds=modes == 8)
    checks.report(enforce=check_claims)

``report`` prints a table and a final line ``REPRODUCTION CHECK PASSED
(n/n claims)`` (or ``FAILED``), and with ``enforce=True`` raises
``AssertionError`` when a claim fails, so a notebook run at its default
parameters fails loudly if the reproduction breaks. The test
``tests/test_committed_notebooks.py`` looks for the PASSED line in every
committed notebook.
"""

import math

PASSED = "REPRODUCTION CHECK PASSED"
FAILED = "REPRODUCTION CHECK FAILED"


def _format(value):
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)


class Checklist:
    """Claims of a paper, each with the number measured and a verdict."""

    def __init__(self, title):
        self.title = title
        self.rows = []

    def add(self, claim, paper, measured, holds):
        """Record one claim.

        Args:
            claim: the claim in words, with its threshold ("at least 7 of 8
                modes captured").
            paper: where the paper states it ("WGAN Fig. 4", "Table 1").
            measured: the number (or short text) measured here.
            holds: whether the measurement satisfies the claim.
        """
        self.rows.append({"claim": claim, "paper": paper, "measured": _format(measured), "holds": bool(holds)})
        return bool(holds)

    @property
    def passed(self):
        return bool(self.rows) and all(row["holds"] for row in self.rows)

    def table(self):
        lines = ["| claim | paper | measured | holds |", "|---|---|---|---|"]
        for row in self.rows:
            lines.append(f"| {row['claim']} | {row['paper']} | {row['measured']} | {'yes' if row['holds'] else 'NO'} |")
        return "\n".join(lines)

    def report(self, enforce=True):
        """Print the table and the verdict; raise when ``enforce`` and a claim fails."""
        if not self.rows:
            raise ValueError("The checklist is empty: add at least one claim.")
        held = sum(row["holds"] for row in self.rows)
        verdict = PASSED if self.passed else FAILED
        print(f"{self.title}\n\n{self.table()}\n\n{verdict} ({held}/{len(self.rows)} claims)")
        if enforce and not self.passed:
            failed = [row["claim"] for row in self.rows if not row["holds"]]
            raise AssertionError(f"{self.title}: claims not reproduced: {failed}")
        return self.passed
