"""Parameter validation used by the notebooks' validation cells."""

import pytest

from wgan_keras import params


def test_valid_values_pass_through():
    assert params.require_int("epochs", 5, minimum=1) == 5
    assert params.require_number("gp_weight", 10, minimum=0) == 10.0
    assert params.require_choice("dataset", "digits", ("digits", "mnist")) == "digits"
    assert params.require_bool("check_claims", False) is False


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: params.require_int("epochs", 0, minimum=1), r"epochs must be >= 1; got 0"),
        (lambda: params.require_int("epochs", 2.5), "epochs must be an integer"),
        (lambda: params.require_int("epochs", True), "epochs must be an integer"),
        (lambda: params.require_int("seeds", 9, maximum=8), "seeds must be <= 8"),
        (lambda: params.require_number("clip_value", 0.0, minimum=0, exclusive_minimum=True), "clip_value must be > 0"),
        (lambda: params.require_number("lr", "fast"), "lr must be a finite number"),
        (lambda: params.require_number("lr", float("nan"), minimum=0), "lr must be a finite number"),
        (lambda: params.require_seed(2**32), r"seed must be <= 4294967295"),
        (lambda: params.require_seed(-1), "seed must be >= 0"),
        (
            lambda: params.require_choice("dataset", "imagenet", ("digits", "mnist")),
            r"dataset must be one of \('digits', 'mnist'\)",
        ),
        (lambda: params.require_bool("quick", "yes"), "quick must be True or False"),
    ],
)
def test_errors_name_the_parameter_and_the_allowed_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()
