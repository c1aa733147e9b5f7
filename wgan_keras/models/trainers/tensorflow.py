"""Algorithm 1 on TensorFlow: gradient tapes and variables updated in place.

The critic loop is unrolled in Python inside Keras's compiled step:
optimizer updates inside ``tf.cond``/``tf.while_loop`` are not supported
under ``MirroredStrategy`` (they contain a synchronisation point).

Under ``tf.distribute`` each replica draws the *global* batch's random
numbers and keeps its own slice, and scales its loss so the summed
gradients are the global mean's: N replicas compute what one device computes.
"""

import keras
import tensorflow as tf

from wgan_keras.clipping import clip_variables
from wgan_keras.models.stream import _features


class Trainer:
    """The TensorFlow step of ``AdversarialModel`` (see ``trainers/__init__.py``)."""

    # ------------------------------------------------------- Algorithm 1
    def train_step(self, data):
        """One generator iteration: Algorithm 1, lines 2-11 of both papers."""
        real = self._real_batches(data)
        for i in range(real.shape[1]):  # line 2: for t = 1, ..., n_critic
            self._critic_update(real[:, i])  # lines 3-8 (a fresh real batch each time)
        self._generator_update(tf.shape(real)[0])  # lines 10-11
        self._count_iteration()
        return self._logs()

    def critic_only_step(self, data):
        """Critic updates on each batch of the element, no generator update (WGAN's warm-up)."""
        real = self._real_batches(data)
        for i in range(real.shape[1]):
            self._critic_update(real[:, i])
        return self._logs()

    def _critic_update(self, real):
        noise = self.draw_noise(tf.shape(real)[0])  # line 4: z ~ p(z)
        fake = self.generator(noise, training=True)
        self.critic_step(real, fake)

    def critic_step(self, real, fake):
        """One critic update on given real and fake batches, with its logs tracked.

        WGAN Algorithm 1, lines 5-7 (gradient of the critic loss, RMSProp,
        clipping); WGAN-GP Algorithm 1, lines 4-9 (interpolation, penalty,
        Adam).
        """
        variables = self.critic.trainable_variables
        with tf.GradientTape() as tape:
            loss, logs = self.critic_objective(real, fake)
            scaled = self.critic_optimizer.scale_loss(self._per_replica(loss))
        gradients = tape.gradient(scaled, variables)
        self.critic_optimizer.apply_gradients(zip(gradients, variables))
        if self.critic_clip_value is not None:
            clip_variables(variables, self.critic_clip_value)  # WGAN line 7
        self._track(logs)
        return logs

    def _generator_update(self, batch):
        noise = self.draw_noise(batch)  # line 9 (WGAN-GP) / 9 (WGAN): z ~ p(z)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            loss = self.generator_objective(self.critic(fake, training=True))
            scaled = self.generator_optimizer.scale_loss(self._per_replica(loss))
        gradients = tape.gradient(scaled, variables)
        self.generator_optimizer.apply_gradients(zip(gradients, variables))
        self._track({"generator_loss": loss})

    def _count_iteration(self):
        iteration = tf.identity(self.generator_iterations.value) + 1
        self.generator_iterations.assign(iteration)
        logs = {name: tracker.result() for name, tracker in self._trackers.items()}
        weights = self.generator.trainable_variables + self.critic.trainable_variables
        at, values = self._divergence_flag(self.diverged_at, self.diverged_values, logs, weights, iteration)
        self.diverged_at.assign(at)
        self.diverged_values.assign(values)

    def test_step(self, data):
        return self._reduced(self._validation_logs(data))

    # ------------------------------------------------------------ helpers
    def _real_batches(self, data):
        return _features(data)

    def _logs(self):
        return self._reduced({name: tracker.result() for name, tracker in self._trackers.items()})

    def _reduced(self, logs):
        if _multi_worker(self.distribute_strategy):
            # Keras 3.15 reduces logs across workers with
            # strategy.reduce("MEAN", v, axis=0), which fails on scalars; the
            # values are metric results (already aggregated), so shape (1,)
            # comes back as the same scalar.
            logs = {name: tf.reshape(value, (1,)) for name, value in logs.items()}
        return logs

    def _replica_slice(self, draw, local_batch):
        """Draw for the global batch and keep this replica's rows.

        So that 1 and N replicas consume the same random numbers.
        """
        context = tf.distribute.get_replica_context()
        replicas = self.distribute_strategy.num_replicas_in_sync
        if context is None or replicas == 1:
            return draw(local_batch)
        values = draw(local_batch * replicas)
        start = context.replica_id_in_sync_group * local_batch
        return values[start : start + local_batch]

    def _per_replica(self, loss):
        """Scale a per-replica mean so summed gradients equal the global mean's."""
        replicas = self.distribute_strategy.num_replicas_in_sync
        return loss / replicas if replicas > 1 else loss

    def replicas(self):
        """Devices each global batch is split across."""
        return self.distribute_strategy.num_replicas_in_sync

    def _variable_scope(self):
        return self.distribute_strategy.scope()

    def _sync_state(self):
        """Variables are updated in place: nothing to put back."""

    def _auto_jit_compile(self, run_eagerly):
        """XLA where it was measured to win (``python -m wgan_keras.bench``).

        On accelerators this is Keras's own rule (XLA on, except under
        ``tf.distribute``). On a CPU XLA made the toy MLP step faster and
        the DCGAN step slower: so XLA for networks without convolutions only.
        """
        if run_eagerly:
            return False
        if tf.config.list_physical_devices("GPU") or tf.config.list_physical_devices("TPU"):
            return "auto"
        if tf.distribute.has_strategy():
            return False
        convolutional = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.Conv3D)
        layers = list(self.generator._flatten_layers()) + list(self.critic._flatten_layers())
        return not any(isinstance(layer, convolutional) for layer in layers)

    # ------------------------------------------------ the compiled steps
    def make_train_function(self, force=False):
        if self.train_function is not None and not force:
            return self.train_function
        super().make_train_function(force=True)
        steps = self.train_function
        critic_only = {}

        def run_critic_only(updates, iterator):
            # Each call consumes one element of n_critic batches; a partial
            # chunk uses the first `updates` of them (still fresh data).
            if updates not in critic_only:
                critic_only[updates] = self._make_function(
                    lambda data: self.critic_only_step(self._real_batches(data)[:, :updates])
                )
            return critic_only[updates](iterator)

        def train_function(iterator):
            for updates in self._extra_critic_chunks():  # WGAN's warm-up
                run_critic_only(updates, iterator)
            logs = steps(iterator)
            self._after_steps(self.steps_per_execution, lambda: self.diverged_at)
            return logs

        self.train_function = train_function
        return self.train_function

    def critic_update_function(self):
        """A compiled ``(real, fake) -> logs``: one critic update on given batches."""
        step = tf.function(self.critic_step, reduce_retracing=True, autograph=False, jit_compile=bool(self.jit_compile))
        return lambda real, fake: step(tf.convert_to_tensor(real), tf.convert_to_tensor(fake))


def _multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and (
        strategy.extended._in_multi_worker_mode()
    )
