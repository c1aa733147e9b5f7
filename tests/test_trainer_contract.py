"""Each backend's trainer provides every primitive and hook that ``trainers/base.py`` declares, as declared."""

import inspect

import pytest

from wgan_keras.models import trainers
from wgan_keras.models.trainers import base


def declared():
    """The methods of ``base.Trainer`` whose body only raises ``NotImplementedError``."""
    names = []
    for name, function in vars(base.Trainer).items():
        if inspect.isfunction(function):
            body = inspect.getsource(function).split('"""')[-1].strip()
            if body == "raise NotImplementedError":
                names.append(name)
    return names


def test_the_base_declares_the_primitives_and_hooks():
    assert {"open_state", "close_state", "read", "write", "stateful", "logs", "critic_update"} <= set(declared())
    assert {"generate_fake", "replicas", "replica_slice", "feed"} <= set(declared())


# A primitive that only a default method calls, and that method.
ONLY_FOR = {"keras_function": "keras_steps"}


@pytest.mark.parametrize("name", declared())
def test_the_active_backend_implements_each_with_the_declared_parameters(name):
    if (
        name in ONLY_FOR
        and inspect.getattr_static(trainers.Trainer, ONLY_FOR[name]) is not vars(base.Trainer)[ONLY_FOR[name]]
    ):
        pytest.skip(f"{trainers.Trainer.__module__} builds its own {ONLY_FOR[name]}")
    implementation = inspect.getattr_static(trainers.Trainer, name)
    assert implementation is not vars(base.Trainer)[name], f"{trainers.Trainer.__module__} does not implement {name}"
    declared_parameters = list(inspect.signature(vars(base.Trainer)[name]).parameters)
    assert list(inspect.signature(implementation).parameters) == declared_parameters
