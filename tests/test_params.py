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


# ---------------------------------------------- a notebook's parameters cell
CELL = """backend: str = "tensorflow"  # {tensorflow | jax} Keras backend
epochs: int = 5  # [1, ) training epochs
n_critic: int = 5  # [1, 100] critic updates per generator iteration
lr: float = 0.001  # (0, ) learning rate
fraction: float = 0.5  # [0.05, 0.95] share held out
image_size: int = 8  # {8 | 16} side of the images
dataset: str = "digits"  # {digits | mnist} data set
note: str = ""  # free text
quick: bool = False  # a flag
seed: int = 0  # seeds everything
"""


def namespace(**changes):
    values = dict(
        backend="tensorflow",
        epochs=5,
        n_critic=5,
        lr=0.001,
        fraction=0.5,
        image_size=8,
        dataset="digits",
        note="",
        quick=False,
        seed=0,
    )
    return values | changes


def test_the_parameters_cell_declares_the_parameters_and_their_allowed_values():
    declared = params.parse_parameters_cell(CELL)
    assert list(declared) == [
        "backend",
        "epochs",
        "n_critic",
        "lr",
        "fraction",
        "image_size",
        "dataset",
        "note",
        "quick",
        "seed",
    ]
    assert declared["image_size"] == ("int", (8, 16))
    assert declared["dataset"] == ("str", ("digits", "mnist"))
    assert declared["n_critic"] == ("int", params.Interval(1, 100, False, False))
    assert declared["lr"] == ("float", params.Interval(0.0, None, True, True))
    assert declared["note"] == ("str", None)
    with pytest.raises(ValueError, match="epochs: its comment must open with its allowed range"):
        params.parse_parameters_cell("epochs: int = 5  # training epochs")


def checked(values, given=()):
    import keras

    values = values | {"backend": keras.backend.backend()}
    return params.NotebookParameters(values, CELL, given).check_all(seed_headroom=3)


def test_every_declared_parameter_is_checked_against_its_constraint():
    values = checked(namespace(lr=1))
    assert values["lr"] == 1.0 and isinstance(values["lr"], float)
    for changes, match in [
        ({"epochs": 0}, "epochs must be >= 1; got 0"),
        ({"n_critic": 101}, "n_critic must be <= 100"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"fraction": 0.99}, "fraction must be <= 0.95"),
        ({"image_size": 12}, r"image_size must be one of \(8, 16\); got 12"),
        ({"dataset": "imagenet"}, r"dataset must be one of \('digits', 'mnist'\)"),
        ({"note": 3}, "note must be a string"),
        ({"quick": "yes"}, "quick must be True or False"),
        ({"seed": 2**31 - 5}, "seed must be <= 2147483642"),  # headroom 3
    ]:
        with pytest.raises(ValueError, match=match):
            checked(namespace(**changes))


def test_only_the_names_of_the_parameters_cell_are_parameters():
    # papermill -p os 5: the notebook's `import os` rebinds the name, so a snapshot of new globals misses it.
    with pytest.raises(ValueError, match=r"Unknown notebook parameter\(s\) \['os'\]: this notebook's parameters"):
        checked(namespace(os=__import__("os")), given=["epochs", "os"])
    assert checked(namespace(epochs=7), given=["epochs"])["epochs"] == 7


def test_the_parameters_are_read_from_the_kernels_input_history():
    history = ["", "import sys", CELL, "# Parameters\nepochs = 9\nos = 5\n", "import os"]
    parameters = params.NotebookParameters.from_history({"In": history} | namespace(epochs=9))
    assert list(parameters.declared) == list(params.parse_parameters_cell(CELL))
    assert parameters.given == ["epochs", "os"]
    with pytest.raises(ValueError, match="No parameters cell has run"):
        params.NotebookParameters.from_history({"In": ["", "x = 1"]})


def test_without_input_history_the_declared_names_and_types_are_still_checked():
    # nbval re-executes a notebook in a kernel that stores no input history: the annotations remain.
    values = namespace(__annotations__={"epochs": int, "lr": float, "note": str, "quick": bool})
    parameters = params.NotebookParameters.from_history(values)
    assert list(parameters.declared) == ["epochs", "lr", "note", "quick"]
    assert parameters.check_all() == {"epochs": 5, "lr": 0.001, "note": "", "quick": False}
    with pytest.raises(ValueError, match="epochs must be an integer"):
        params.NotebookParameters.from_history(values | {"epochs": 2.5}).check_all()
