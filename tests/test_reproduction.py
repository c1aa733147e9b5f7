"""The notebooks' closing reproduction check."""

import pytest

from wgan_keras.reproduction import FAILED, PASSED, Checklist


def test_checklist_passes_and_prints_the_verdict(capsys):
    checks = Checklist("demo")
    checks.add("JS stays within 0.05 of log 2", paper="WGAN Fig. 4", measured=0.6712, holds=True)
    assert checks.report() is True
    out = capsys.readouterr().out
    assert f"{PASSED} (1/1 claims)" in out and "| JS stays within 0.05 of log 2 | WGAN Fig. 4 | 0.6712 | yes |" in out


def test_checklist_fails_loudly_when_enforced(capsys):
    checks = Checklist("demo")
    checks.add("a", paper="p", measured=1, holds=True)
    checks.add("b", paper="p", measured=float("nan"), holds=False)
    with pytest.raises(AssertionError, match="'b'"):
        checks.report()
    assert f"{FAILED} (1/2 claims)" in capsys.readouterr().out
    assert checks.report(enforce=False) is False
    with pytest.raises(ValueError, match="empty"):
        Checklist("none").report()


def test_negative_results_are_reported_but_never_fail_the_check(capsys):
    checks = Checklist("demo")
    checks.at_least("GP critic peaks on all 25 modes", "Fig. 1a", 9, 25, negative="512 units, 50k updates")
    checks.at_least("clipped critic has one peak", "Fig. 1a", 1, 1)
    assert checks.report() is True
    out = capsys.readouterr().out
    assert (
        "| GP critic peaks on all 25 modes | Fig. 1a | 9 | NO | - (negative result; tried: 512 units, 50k updates) |"
        in out
    )
    assert f"{PASSED} (1/1 claims; 1 negative result(s) reported, not enforced)" in out
