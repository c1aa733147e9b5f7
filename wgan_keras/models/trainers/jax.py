"""Algorithm 1 on JAX: a stateless step, jit-compiled.

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
one computes.
"""

import contextlib

import jax
import keras

from wgan_keras.clipping import clip_values
from wgan_keras.models.stream import _features


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


class Trainer:
    """The JAX step of ``AdversarialModel`` (see ``trainers/__init__.py``)."""

    # ------------------------------------------------------- Algorithm 1
    def train_step(self, state, data):
        """One generator iteration: Algorithm 1, lines 2-11 of both papers."""
        values = Values(self._state_groups(), state)
        real = _features(data)
        for i in range(real.shape[1]):  # line 2: for t = 1, ..., n_critic
            self._critic_update(values, real[:, i])  # lines 3-8 (a fresh real batch each time)
        self._generator_update(values, real.shape[0])  # lines 10-11
        self._count_iteration(values)
        return self._logs_of(values), values.state()

    def critic_only_step(self, state, data, updates):
        """``updates`` critic updates on the element's first batches (WGAN's warm-up)."""
        values = Values(self._state_groups(), state)
        real = _features(data)
        for i in range(updates):
            self._critic_update(values, real[:, i])
        return self._logs_of(values), values.state()

    def _critic_update(self, values, real):
        with values.stateful([self.train_seed.state]):
            noise = self.draw_noise(real.shape[0])  # line 4: z ~ p(z)
        generator = self.generator
        fake, generator_state = generator.stateless_call(
            values[generator.trainable_variables], values[generator.non_trainable_variables], noise, training=True
        )
        values.set(generator.non_trainable_variables, generator_state)
        self._critic_step(values, real, fake)

    def _critic_step(self, values, real, fake):
        """WGAN Algorithm 1, lines 5-7; WGAN-GP Algorithm 1, lines 4-9, on given batches."""
        critic, optimizer = self.critic, self.critic_optimizer
        grad_fn = jax.value_and_grad(self._critic_loss, has_aux=True)
        (_, (logs, critic_state, seed_state)), gradients = grad_fn(
            values[critic.trainable_variables],
            values[critic.non_trainable_variables],
            values[[self.train_seed.state]],
            values[optimizer.variables],
            real,
            fake,
        )
        values.set(critic.non_trainable_variables, critic_state)
        values.set([self.train_seed.state], seed_state)
        weights, optimizer_state = optimizer.stateless_apply(
            values[optimizer.variables], gradients, values[critic.trainable_variables]
        )
        if self.critic_clip_value is not None:
            weights = clip_values(weights, self.critic_clip_value)  # WGAN line 7
        values.set(critic.trainable_variables, weights)
        values.set(optimizer.variables, optimizer_state)
        self._track_values(values, logs)

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

    def _generator_update(self, values, batch):
        with values.stateful([self.train_seed.state]):
            noise = self.draw_noise(batch)  # line 9: z ~ p(z)
        generator, critic, optimizer = self.generator, self.critic, self.generator_optimizer
        grad_fn = jax.value_and_grad(self._generator_loss, has_aux=True)
        (_, (loss, generator_state, critic_state)), gradients = grad_fn(
            values[generator.trainable_variables],
            values[generator.non_trainable_variables],
            values[critic.trainable_variables],
            values[critic.non_trainable_variables],
            values[optimizer.variables],
            noise,
        )
        values.set(generator.non_trainable_variables, generator_state)
        values.set(critic.non_trainable_variables, critic_state)
        weights, optimizer_state = optimizer.stateless_apply(
            values[optimizer.variables], gradients, values[generator.trainable_variables]
        )
        values.set(generator.trainable_variables, weights)
        values.set(optimizer.variables, optimizer_state)
        self._track_values(values, {"generator_loss": loss})

    def _generator_loss(self, weights, generator_state, critic_weights, critic_state, optimizer_state, noise):
        fake, generator_state = self.generator.stateless_call(weights, generator_state, noise, training=True)
        fake_values, critic_state = self.critic.stateless_call(critic_weights, critic_state, fake, training=True)
        loss = self.generator_objective(fake_values)  # WGAN line 10, WGAN-GP line 11
        optimizer = self.generator_optimizer
        with keras.StatelessScope(state_mapping=list(zip(optimizer.variables, optimizer_state))):
            scaled = optimizer.scale_loss(loss)
        return scaled, (loss, generator_state, critic_state)

    def _count_iteration(self, values):
        iteration = values[[self.generator_iterations]][0] + 1
        values.set([self.generator_iterations], [iteration])
        weights = values[self.generator.trainable_variables + self.critic.trainable_variables]
        at, diverged = self._divergence_flag(
            *values[[self.diverged_at, self.diverged_values]], self._logs_of(values), weights, iteration
        )
        values.set([self.diverged_at, self.diverged_values], [at, diverged])

    def test_step(self, state, data):
        values = Values([self.trainable_variables, self.non_trainable_variables, self.metrics_variables], state)
        with values.stateful([v for group in values.groups for v in group]):
            logs = self._validation_logs(data)
        return logs, values.state()

    # ------------------------------------------------------------ helpers
    def _state_groups(self):
        """Keras's JAX state, in its order: (trainable, non-trainable, optimizer, metrics)."""
        return [
            self.trainable_variables,
            self.non_trainable_variables,
            self.optimizer.variables,
            self.metrics_variables,
        ]

    def _track_values(self, values, logs):
        for name, value in logs.items():
            tracker = self._trackers[name]
            values.set(tracker.variables, tracker.stateless_update_state(values[tracker.variables], value))

    def _logs_of(self, values):
        return {name: tracker.stateless_result(values[tracker.variables]) for name, tracker in self._trackers.items()}

    def replicas(self):
        """Devices each global batch is split across."""
        distribution = keras.distribution.distribution()
        if distribution is None:
            return 1
        mesh = distribution.device_mesh
        return int(mesh.shape[mesh.axis_names.index(distribution.batch_dim_name)])

    def _replica_slice(self, draw, local_batch):
        """``draw(local_batch)``: a data-parallel step is one global program, its draws are global."""
        return draw(local_batch)

    def _variable_scope(self):
        return contextlib.nullcontext()

    def _auto_jit_compile(self, run_eagerly):
        return not run_eagerly

    def _sync_state(self):
        self.jax_state_sync()

    def _jit(self, function):
        """``jax.jit`` as Keras compiles its own step (state donated, sharded under a distribution)."""
        if self.run_eagerly or not self.jit_compile:
            return function
        out_shardings = None
        if keras.distribution.distribution() is not None:
            out_shardings = (None, self._get_state_sharding_spec())
        return jax.jit(function, donate_argnums=0, out_shardings=out_shardings)

    # ------------------------------------------------ the compiled steps
    def make_train_function(self, force=False):
        if self.train_function is not None and not force:
            return
        super().make_train_function(force=True)
        steps = self.train_function
        critic_only = {}
        position = next(i for i, v in enumerate(self.non_trainable_variables) if v is self.diverged_at)

        def run_critic_only(updates, state, iterator):
            if updates not in critic_only:
                critic_only[updates] = self._jit(lambda state, data: self.critic_only_step(state, data, updates))
            return critic_only[updates](state, next(iterator))[1]

        def train_function(state, iterator):
            for updates in self._extra_critic_chunks():  # WGAN's warm-up
                state = run_critic_only(updates, state, iterator)
            logs, state = steps(state, iterator)
            # As Keras's loop does after this call: a check that raises must
            # find the newest state (the previous one was donated to the step).
            names = ("trainable_variables", "non_trainable_variables", "optimizer_variables", "metrics_variables")
            self._jax_state = dict(zip(names, state))
            self._after_steps(self.steps_per_execution, lambda: state[1][position])
            return logs, state

        self.train_function = train_function

    def critic_update_function(self):
        """A compiled ``(real, fake) -> logs``: one critic update on given batches, applied to the model."""
        groups = self._state_groups()

        def step(state, real, fake):
            values = Values(groups, state)
            self._critic_step(values, real, fake)
            return self._logs_of(values), values.state()

        step = self._jit(step)

        def update(real, fake):
            logs, state = step(tuple([v.value for v in group] for group in groups), real, fake)
            for group, group_values in zip(groups, state):
                for variable, value in zip(group, group_values):
                    variable.assign(value)
            return logs

        return update
