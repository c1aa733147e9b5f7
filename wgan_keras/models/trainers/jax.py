"""Algorithm 1's primitives on JAX: a stateless step, jit-compiled.

The outline is ``trainers/base.py``; here the ``state`` it threads is a
``Values`` holder of every variable's value, read and replaced by variable.

Keras's guide to a custom ``train_step`` on JAX, for two networks and two
optimizers: the step receives Keras's state ``(trainable, non_trainable,
optimizer, metrics)`` as values and returns it updated. The networks run
through ``stateless_call``, gradients come from ``jax.value_and_grad``,
updates from ``optimizer.stateless_apply`` and metrics from
``stateless_update_state``. ``model.optimizer`` is the pair of optimizers
(``OptimizerPair``), so Keras threads both optimizers' state through.

Random draws advance the model's ``SeedGenerator`` state, which is part of
the non-trainable state: the same seed gives the same numbers in any
process, and the training stream is its own (``generate()`` and validation
draw from others).

Data parallelism is ``keras.distribution`` (e.g. ``DataParallel``): the step
is one global program whose batch axis is split over the devices, so the
random numbers and the means are the global ones and N devices compute what
one computes. Across processes (``jax.distributed``, several hosts) Keras
builds each global batch from every process's local rows, so each process
feeds its own slice of the global batch (:class:`ProcessRows`): every
process reads the same seeded stream and keeps its rows.
"""

import contextlib

import jax
import keras
import numpy as np

from wgan_keras.clipping import clip_values
from wgan_keras.models import stream
from wgan_keras.models.trainers import base


class Values:
    """The model's variables as values inside a stateless step, read and replaced by variable."""

    def __init__(self, groups, state):
        self.groups = [list(group) for group in groups]
        self._values = {}
        for variables, values in zip(self.groups, state):
            self.set(variables, values)

    def __getitem__(self, variables):
        return [self._values[id(v)] for v in variables]

    def set(self, variables, values):
        for variable, value in zip(variables, values):
            self._values[id(variable)] = value

    @contextlib.contextmanager
    def stateful(self, variables):
        """Run Keras's stateful code (a random draw, a metric) on these values; keep its writes."""
        variables = list(variables)
        with keras.StatelessScope(state_mapping=list(zip(variables, self[variables]))) as scope:
            yield
        self.set(variables, [scope.get_current_value(v) for v in variables])

    def state(self):
        return tuple(self[group] for group in self.groups)


class Trainer(base.Trainer):
    """The JAX primitives of ``AdversarialModel`` (see ``trainers/base.py``)."""

    # ------------------------------------------------ Keras's step functions
    def train_step(self, state, data):
        """Keras's JAX step: one generator iteration (``base.Trainer.generator_iteration``)."""
        return self.run_step(state, data, self.generator_iteration)

    def test_step(self, state, data):
        values = Values([self.trainable_variables, self.non_trainable_variables, self.metrics_variables], state)
        with values.stateful([v for group in values.groups for v in group]):
            logs = self.validation_logs(data)
        return logs, values.state()

    # ------------------------------------------------ the state threaded
    def open_state(self, keras_state):
        return Values(self._state_groups(), keras_state)

    def close_state(self, state):
        return state.state()

    def read(self, state, variables):
        return state[variables]

    def write(self, state, variables, values):
        state.set(variables, values)
        return state

    def stateful(self, state, variables):
        return state.stateful(variables)

    def logs(self, state):
        return {name: tracker.stateless_result(state[tracker.variables]) for name, tracker in self._trackers.items()}

    # ------------------------------------------------------ Algorithm 1
    def generate_fake(self, state, noise):
        generator = self.generator
        fake, generator_state = generator.stateless_call(
            state[generator.trainable_variables], state[generator.non_trainable_variables], noise, training=True
        )
        state.set(generator.non_trainable_variables, generator_state)
        return fake, state

    def critic_update(self, state, real, fake):
        critic, optimizer = self.critic, self.critic_optimizer
        grad_fn = jax.value_and_grad(self._critic_loss, has_aux=True)
        (_, (logs, critic_state, seed_state)), gradients = grad_fn(
            state[critic.trainable_variables],
            state[critic.non_trainable_variables],
            state[[self.train_seed.state]],
            state[optimizer.variables],
            real,
            fake,
        )
        state.set(critic.non_trainable_variables, critic_state)
        state.set([self.train_seed.state], seed_state)
        weights, optimizer_state = optimizer.stateless_apply(
            state[optimizer.variables], gradients, state[critic.trainable_variables]
        )
        if self.critic_clip_value is not None:
            weights = clip_values(weights, self.critic_clip_value)  # WGAN line 7
        state.set(critic.trainable_variables, weights)
        state.set(optimizer.variables, optimizer_state)
        return self._track_values(state, logs)

    def generator_update(self, state, noise):
        generator, critic, optimizer = self.generator, self.critic, self.generator_optimizer
        grad_fn = jax.value_and_grad(self._generator_loss, has_aux=True)
        (_, (loss, generator_state, critic_state)), gradients = grad_fn(
            state[generator.trainable_variables],
            state[generator.non_trainable_variables],
            state[critic.trainable_variables],
            state[critic.non_trainable_variables],
            state[optimizer.variables],
            noise,
        )
        state.set(generator.non_trainable_variables, generator_state)
        state.set(critic.non_trainable_variables, critic_state)
        weights, optimizer_state = optimizer.stateless_apply(
            state[optimizer.variables], gradients, state[generator.trainable_variables]
        )
        state.set(generator.trainable_variables, weights)
        state.set(optimizer.variables, optimizer_state)
        return self._track_values(state, {"generator_loss": loss})

    def _critic_loss(self, weights, critic_state, seed_state, optimizer_state, real, fake):
        critic, optimizer = self.critic, self.critic_optimizer
        mapping = (
            list(zip(critic.trainable_variables, weights))
            + list(zip(critic.non_trainable_variables, critic_state))
            + list(zip([self.train_seed.state], seed_state))
            + list(zip(optimizer.variables, optimizer_state))
        )
        with keras.StatelessScope(state_mapping=mapping) as scope:
            loss, logs = self.critic_objective(real, fake)  # WGAN line 5, WGAN-GP line 7
            scaled = optimizer.scale_loss(loss)
        critic_state = [scope.get_current_value(v) for v in critic.non_trainable_variables]
        return scaled, (logs, critic_state, [scope.get_current_value(self.train_seed.state)])

    def _generator_loss(self, weights, generator_state, critic_weights, critic_state, optimizer_state, noise):
        fake, generator_state = self.generator.stateless_call(weights, generator_state, noise, training=True)
        fake_values, critic_state = self.critic.stateless_call(critic_weights, critic_state, fake, training=True)
        loss = self.generator_objective(fake_values)  # WGAN line 10, WGAN-GP line 11
        optimizer = self.generator_optimizer
        with keras.StatelessScope(state_mapping=list(zip(optimizer.variables, optimizer_state))):
            scaled = optimizer.scale_loss(loss)
        return scaled, (loss, generator_state, critic_state)

    # ------------------------------------------------ compiled functions
    def compile_step(self, body):
        step = self._jit(lambda keras_state, data: self.run_step(keras_state, data, body))
        return lambda keras_state, iterator: step(keras_state, next(iterator))

    def keras_function(self, function):
        names = ("trainable_variables", "non_trainable_variables", "optimizer_variables", "metrics_variables")
        # Where diverged_at sits in the non-trainable state (diverged_at_value).
        self._diverged_at_position = next(
            i for i, v in enumerate(self.non_trainable_variables) if v is self.diverged_at
        )

        def call(keras_state, iterator):
            logs, keras_state = function(keras_state, iterator)
            # As Keras's loop does after this call: a divergence check that
            # raises must find the newest state (the previous one was donated
            # to the step). Keras's JAX trainer keeps it in `_jax_state`, which
            # it has no public setter for.
            self._jax_state = dict(zip(names, keras_state))
            return logs, keras_state

        return call

    def keras_train_function(self, run):
        return run

    def diverged_at_value(self, keras_state):
        return keras_state[1][self._diverged_at_position]

    def critic_update_function(self):
        groups = self._state_groups()

        def step(keras_state, real, fake):
            state = self.critic_update(Values(groups, keras_state), real, fake)
            return self.logs(state), state.state()

        step = self._jit(step)

        def update(real, fake):
            logs, keras_state = step(tuple([v.value for v in group] for group in groups), real, fake)
            for group, group_values in zip(groups, keras_state):
                for variable, value in zip(group, group_values):
                    variable.assign(value)
            return logs

        return update

    # ------------------------------------------------ hooks the model calls
    def replicas(self):
        distribution = keras.distribution.distribution()
        if distribution is None:
            return 1
        mesh = distribution.device_mesh
        return int(mesh.shape[mesh.axis_names.index(distribution.batch_dim_name)])

    def replica_slice(self, draw, local_batch):
        """``draw(local_batch)``: a data-parallel step is one global program, its draws are global."""
        return draw(local_batch)

    def variable_scope(self):
        return contextlib.nullcontext()

    def sync_state(self):
        self.jax_state_sync()

    def auto_jit_compile(self, run_eagerly):
        return not run_eagerly

    def loaded_jit_compile(self, jit_compile):
        return jit_compile

    def feed(self, source):
        return ProcessRows.of(source)

    def feed_validation(self, data):
        if stream.is_tf_dataset(data):  # TensorFlow is installed: a pipeline without autotuning
            _single_process("a tf.data.Dataset as validation_data")
            from wgan_keras.models.trainers import tensorflow_input

            return tensorflow_input.validation_input(data)
        return ProcessRows.of(data)

    def dataset_stream(self, dataset):
        _single_process("a tf.data.Dataset of real batches")
        return super().dataset_stream(dataset)

    # ------------------------------------------------------------ helpers
    def _state_groups(self):
        """Keras's JAX state, in its order: (trainable, non-trainable, optimizer, metrics)."""
        return [
            self.trainable_variables,
            self.non_trainable_variables,
            self.optimizer.variables,
            self.metrics_variables,
        ]

    def _track_values(self, state, logs):
        for name, value in logs.items():
            tracker = self._trackers[name]
            state.set(tracker.variables, tracker.stateless_update_state(state[tracker.variables], value))
        return state

    def _jit(self, function):
        """``jax.jit`` as Keras compiles its own step (state donated, sharded under a distribution)."""
        if self.run_eagerly or not self.jit_compile:
            return function
        out_shardings = None
        if keras.distribution.distribution() is not None:
            # Keras's JAX trainer has no public form of its state's shardings.
            out_shardings = (None, self._get_state_sharding_spec())
        return jax.jit(function, donate_argnums=0, out_shardings=out_shardings)


class ProcessRows(keras.utils.PyDataset):
    """This process's rows of every batch of ``batches``: process ``i`` of ``P`` keeps rows ``[i b/P, (i+1) b/P)``.

    Keras's JAX trainer assembles the global batch from every process's
    local rows, in process order (``jax.make_array_from_process_local_data``).
    """

    def __init__(self, batches):
        super().__init__()
        self.batches = batches
        self.index, self.count = jax.process_index(), jax.process_count()

    @classmethod
    def of(cls, batches):
        """``batches`` itself in a single-process run."""
        return batches if jax.process_count() == 1 else cls(batches)

    @property
    def num_batches(self):
        return self.batches.num_batches

    def __getitem__(self, position):
        item = self.batches[position]
        parts = item if isinstance(item, tuple) else (item,)
        rows = len(parts[0])
        if rows % self.count:
            raise ValueError(
                f"A batch of {rows} rows cannot be split equally over {self.count} JAX processes: use batch "
                f"sizes divisible by {self.count} (validation_batch_size too)."
            )
        share = rows // self.count
        local = tuple(np.asarray(part)[self.index * share : (self.index + 1) * share] for part in parts)
        return local if isinstance(item, tuple) else local[0]


def _single_process(what):
    if jax.process_count() > 1:
        raise ValueError(
            f"{what} is read whole by every JAX process; across {jax.process_count()} processes pass a numpy "
            "array or a keras.utils.PyDataset, whose rows each process slices for itself."
        )
