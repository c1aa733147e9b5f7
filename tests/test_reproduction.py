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
