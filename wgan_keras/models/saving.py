"""Saving an adversarial model: its config, its compile config, its own state, and never a diverged model.

A subclassed GAN needs ``get_config``/``from_config`` (the two networks
serialized), ``get_compile_config``/``compile_from_config`` (else a loaded
model has no optimizers) and its random streams' states saved (Keras does
not save a ``SeedGenerator``'s state by default), so a resumed run
continues the same random stream.
"""

import os

import keras
import numpy as np
from keras import ops


class Saving:
    """Mixin of ``AdversarialModel``: ``save``, ``save_weights``, configs and the model-level variables.

    Needs ``check_divergence`` (``models/divergence_stop.py``) and the
    trainer's ``loaded_jit_compile`` hook.
    """

    def save(self, filepath, *args, **kwargs):
        """``keras.Model.save`` to a ``.keras`` file; never a diverged model, never a partial file."""
        _check_saving_format(filepath, ".keras", "save")
        self.check_divergence()
        return super().save(filepath, *args, **kwargs)

    def save_weights(self, filepath, *args, **kwargs):
        """``keras.Model.save_weights`` to a ``.weights.h5`` file; never diverged weights."""
        _check_saving_format(filepath, ".weights.h5", "save_weights")
        self.check_divergence()
        return super().save_weights(filepath, *args, **kwargs)

    def get_config(self):
        return {
            "generator": keras.saving.serialize_keras_object(self.generator),
            self.critic_name: keras.saving.serialize_keras_object(self.critic),
            "n_critic": self.n_critic,
            "seed": self.seed,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", cls.critic_name):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    def get_compile_config(self):
        if self.generator_optimizer is None:
            return None
        config = {k: v for k, v in self._compile_options.items() if _is_plain(v)}
        config["generator_optimizer"] = _portable(
            keras.saving.serialize_keras_object(unscaled(self.generator_optimizer))
        )
        config[self.critic_optimizer_arg] = _portable(
            keras.saving.serialize_keras_object(unscaled(self.critic_optimizer))
        )
        return config

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("generator_optimizer", self.critic_optimizer_arg):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        if "jit_compile" in config:
            config["jit_compile"] = self.loaded_jit_compile(config["jit_compile"])
        self.compile(**config)

    def _own_state(self):
        return [self.generator_iterations] + [s.state for s in (self.train_seed, self.sample_seed, self.eval_seed)]

    def save_own_variables(self, store):
        for i, variable in enumerate(self._own_state()):
            store[str(i)] = variable

    def load_own_variables(self, store):
        state = self._own_state()
        if len(store.keys()) != len(state):
            raise ValueError(
                f"{self.name}: the saved file holds {len(store.keys())} model-level variables, "
                f"expected {len(state)} (generator_iterations and three seed states)."
            )
        for i, variable in enumerate(state):
            variable.assign(ops.cast(np.asarray(store[str(i)]), variable.dtype))
        self.diverged_at.assign(-1)
        self._next_generator_iteration = None


def unscaled(optimizer):
    """The optimizer a ``LossScaleOptimizer`` wraps (what is saved), or ``optimizer``."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.inner_optimizer
    return optimizer


def _portable(config):
    """An optimizer's config under its public name, loadable on any backend.

    On PyTorch Keras records the backend's subclass
    (``keras.src.backend.torch.optimizers.torch_adam``), which another
    backend cannot import; the public ``keras.optimizers.Adam`` is the same
    optimizer with the same variables.
    """
    if isinstance(config, dict) and str(config.get("module", "")).startswith("keras.src.backend."):
        config = dict(config, module="keras.optimizers")
    return config


def _check_saving_format(filepath, suffix, method):
    path = os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else None
    if path is not None and not path.endswith(suffix):
        other = "save_weights(path.weights.h5)" if method == "save" else "save(path.keras)"
        raise ValueError(
            f"{method}() writes the Keras format: the file name must end in {suffix!r}; got {path!r}. "
            f"(The legacy .h5 format cannot hold a model with two networks and two optimizers; "
            f"{other} writes the {'weights only' if method == 'save' else 'whole model'}.) Nothing was written."
        )


def _is_plain(value):
    return value is None or isinstance(value, (bool, int, float, str))
