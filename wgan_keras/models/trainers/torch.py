"""Algorithm 1's primitives on PyTorch: autograd, variables updated in place, eager.

The outline is ``trainers/base.py``; here, as on TensorFlow, the ``state`` it
threads is the model itself (every update writes its variables in place).
Keras's guide to a custom ``train_step`` on PyTorch is followed with one
difference: gradients come from ``torch.autograd.grad`` with respect to the
updated network's weights only, not from ``loss.backward()``, so no ``.grad``
is left on the other network (the critic's weights are not touched by a
generator update, nor the generator's by a critic update).

WGAN-GP's penalty differentiates the critic with respect to its input with
``create_graph=True`` inside the critic loss (``wgan_keras.autodiff``), so
the penalty's own gradient reaches the critic's weights.

Keras's PyTorch trainer runs one step per call and refuses
``steps_per_execution > 1``; this trainer runs ``steps_per_execution``
generator iterations per call itself (:meth:`Trainer.keras_steps`), as the
other backends do. WGAN's warm-up needs more stream elements before some
generator iterations than Keras hands a step, so with a critic schedule the
stream Keras reads is regrouped: item ``i`` holds every element generator
iteration ``g0 + i`` reads (:class:`IterationElements`).

Data parallelism: Keras's ``keras.distribution`` is JAX-only, and Keras has
no ``tf.distribute`` counterpart on PyTorch; one process trains on one device
(``wgan_keras.distribute`` refuses more).
"""

import contextlib

import keras
import numpy as np
import torch
from keras import ops

from wgan_keras.clipping import clip_variables
from wgan_keras.models import stream
from wgan_keras.models.trainers import base


class Trainer(base.InPlaceState, base.Trainer):
    """The PyTorch primitives of ``AdversarialModel`` (see ``trainers/base.py``)."""

    def compile(self, *args, jit_compile=False, **kwargs):
        """Keras's ``compile``, eager only: ``torch.compile`` of the step is not implemented or tested here."""
        if jit_compile is True:
            raise ValueError(
                "jit_compile=True (torch.compile) is not supported by wgan_keras on the torch backend: "
                "use jit_compile='auto' or False (eager, Keras's own PyTorch default)."
            )
        super().compile(*args, jit_compile=jit_compile, **kwargs)

    # ------------------------------------------------ Keras's step functions
    def train_step(self, data):
        """Keras's PyTorch step: one generator iteration (``base.Trainer.generator_iteration``)."""
        return self.run_step(None, data, self.generator_iteration)[0]

    def test_step(self, data):
        return self.validation_logs(data)

    def make_test_function(self, force=False):
        """Validation and ``evaluate``: every batch Keras hands over (``steps_per_execution`` of them)."""
        if self.test_function is not None and not force:
            return self.test_function

        def run(batches):
            logs = None
            for batch in batches:
                logs = self.test_step(batch)
            return logs

        self.test_function = run
        return run

    # ------------------------------------------------ the state threaded
    def read(self, state, variables):
        return [variable.value.detach() for variable in variables]

    def write(self, state, variables, values):
        with torch.no_grad():
            for variable, value in zip(variables, values):
                variable.assign(value)
        return state

    # ------------------------------------------------------ Algorithm 1
    def generate_fake(self, state, noise):
        # The critic update differentiates with respect to the critic alone:
        # no graph back into the generator (its batch statistics still update).
        with torch.no_grad():
            return self.generator(noise, training=True), state

    def critic_update(self, state, real, fake):
        variables = self.critic.trainable_variables
        with torch.enable_grad():
            loss, logs = self.critic_objective(real, fake)
            gradients = _gradients(self.critic_optimizer.scale_loss(loss), variables)
        with torch.no_grad():
            self.critic_optimizer.apply(gradients, variables)
            if self.critic_clip_value is not None:
                clip_variables(variables, self.critic_clip_value)  # WGAN line 7
        self.track({name: value.detach() for name, value in logs.items()})
        return state

    def generator_update(self, state, noise):
        variables = self.generator.trainable_variables
        with torch.enable_grad():
            fake = self.generator(noise, training=True)
            loss = self.generator_objective(self.critic(fake, training=True))
            gradients = _gradients(self.generator_optimizer.scale_loss(loss), variables)
        with torch.no_grad():
            self.generator_optimizer.apply(gradients, variables)
        self.track({"generator_loss": loss.detach()})
        return state

    # ------------------------------------------------ compiled functions
    def compile_step(self, body):
        # Eager, as Keras runs its PyTorch step unless jit_compile is set
        # (auto_jit_compile below leaves it off).
        def step(keras_state, iterator):
            return self.run_step(keras_state, next(iterator), body)

        return step

    def keras_steps(self):
        def steps(keras_state, iterator):
            logs = None
            for element in iterator:  # what is left: steps_per_execution elements
                logs, keras_state = self.run_step(keras_state, element, self.generator_iteration)
            return logs, keras_state

        return steps

    def keras_train_function(self, run):
        # Keras's PyTorch loop calls train_function(buffer): the items of
        # steps_per_execution reads, each of one or more stream elements.
        return lambda buffer: run(None, iter(self._elements(buffer)))[0]

    def diverged_at_value(self, keras_state):
        return self.diverged_at

    def critic_update_function(self):
        def update(real, fake):
            return self.logs(self.critic_update(self, ops.convert_to_tensor(real), ops.convert_to_tensor(fake)))

        return update

    # ------------------------------------------------ hooks the model calls
    def replicas(self):
        return 1

    def replica_slice(self, draw, local_batch):
        return draw(local_batch)

    def variable_scope(self):
        return contextlib.nullcontext()

    def sync_state(self):
        """Variables are updated in place: nothing to put back."""

    def auto_jit_compile(self, run_eagerly):
        """Eager, as Keras's own PyTorch default (``torch.compile`` is ``jit_compile=True``)."""
        return False

    def loaded_jit_compile(self, jit_compile):
        # The file may come from JAX or TensorFlow with XLA on: choose again here.
        return "auto" if jit_compile is True else jit_compile

    def feed(self, source):
        if not self.has_critic_schedule:
            return source
        return IterationElements(self, source)

    def feed_validation(self, data):
        if stream.is_tf_dataset(data):  # TensorFlow is installed: a pipeline without autotuning
            from wgan_keras.models.trainers import tensorflow_input

            return tensorflow_input.validation_input(data)
        return data

    def dataset_stream(self, dataset):
        if self.has_critic_schedule:
            raise ValueError(
                "On the torch backend WGAN's critic warm-up reads a varying number of real batches per "
                "generator iteration, which needs an indexable input: pass a numpy array or a "
                "keras.utils.PyDataset of real batches instead of a tf.data.Dataset, or turn the "
                "schedule off (critic_warmup=False)."
            )
        return super().dataset_stream(dataset)

    # ------------------------------------------------------------ helpers
    def _elements(self, buffer):
        """The stream elements ``(batch, n_critic, *sample)`` in Keras's buffer of items."""
        elements = []
        for item in buffer:
            grouped = stream.features(item)
            count = grouped.shape[1] // self.n_critic
            elements.extend(grouped[:, k * self.n_critic : (k + 1) * self.n_critic] for k in range(count))
        return elements


class IterationElements(keras.utils.PyDataset):
    """Item ``i``: the elements generator iteration ``g0 + i`` reads, joined along the critic axis.

    ``g0`` is the model's generator iteration when the items are first read
    (item 0, read after ``fit``'s callbacks restored the model), and the
    elements are those of ``source`` (a ``stream.CriticStream``) from the one
    at which the model stands (``source.start``): what TensorFlow and JAX
    read, one element per warm-up chunk and one for the iteration itself.
    """

    def __init__(self, model, source):
        super().__init__()
        self.model = model
        self.source = source
        self._cursor = None  # (next item, its first element relative to source.start, g0)

    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        model = self.model
        if index == 0 or self._cursor is None:
            first_iteration = int(ops.convert_to_numpy(model.generator_iterations))
        else:
            first_iteration = self._cursor[2]
        if self._cursor is None or self._cursor[0] != index or index == 0:
            # Read in order, this is skipped: item i + 1 starts where item i ended.
            offset = sum(model.elements_for_iteration(first_iteration + i) for i in range(index))
            self._cursor = (index, offset, first_iteration)
        _, offset, first_iteration = self._cursor
        count = model.elements_for_iteration(first_iteration + index)
        start = self.source.start + offset
        elements = [self.source.element(start + k) for k in range(count)]
        self._cursor = (index + 1, offset + count, first_iteration)
        return (np.concatenate(elements, axis=1),)


def _gradients(loss, variables):
    """``d loss / d v`` for each variable; zeros for one the loss does not reach."""
    values = [variable.value for variable in variables]
    gradients = torch.autograd.grad(loss, values, allow_unused=True)
    return [torch.zeros_like(v) if g is None else g for v, g in zip(values, gradients)]


__all__ = ["Trainer"]
