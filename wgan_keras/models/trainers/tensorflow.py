"""Algorithm 1's primitives on TensorFlow: gradient tapes and variables updated in place.

The outline is ``trainers/base.py``; here the ``state`` it threads is the
model itself (every update writes its variables in place), so ``read`` and
``write`` are reads and assignments.

The critic loop is unrolled in Python inside Keras's compiled step:
optimizer updates inside ``tf.cond``/``tf.while_loop`` are not supported
under ``MirroredStrategy`` (they contain a synchronisation point).

Under ``tf.distribute`` each replica draws the *global* batch's random
numbers and keeps its own slice, and scales its loss so the summed
gradients are the global mean's: N replicas compute what one device computes.
"""

import keras
import tensorflow as tf
from keras import ops

from wgan_keras import nets
from wgan_keras.clipping import clip_values
from wgan_keras.models.trainers import base, tensorflow_input


class Trainer(base.InPlaceState, base.Trainer):
    """The TensorFlow primitives of ``AdversarialModel`` (see ``trainers/base.py``)."""

    # ------------------------------------------------ Keras's step functions
    def train_step(self, data):
        """Keras's TensorFlow step: one generator iteration (``base.Trainer.generator_iteration``)."""
        return self._reduced(self.run_step(None, data, self.generator_iteration)[0])

    def test_step(self, data):
        return self._reduced(self.validation_logs(data))

    # ------------------------------------------------ the state threaded
    def read(self, state, variables):
        return [tf.identity(variable.value) for variable in variables]

    def write(self, state, variables, values):
        for variable, value in zip(variables, values):
            variable.assign(value)
        return state

    # ------------------------------------------------------ Algorithm 1
    def generate_fake(self, state, noise):
        return self.generator(noise, training=True), state

    def critic_update(self, state, real, fake):
        variables = self.critic.trainable_variables
        with tf.GradientTape() as tape:
            loss, logs = self.critic_objective(real, fake)
            scaled = self.critic_optimizer.scale_loss(self._per_replica(loss))
        gradients = tape.gradient(scaled, variables)
        self.critic_optimizer.apply_gradients(zip(gradients, variables))
        if self.critic_clip_value is not None:
            _clip_variables(variables, self.critic_clip_value)  # WGAN line 7
        self.track(logs)
        return state

    def generator_update(self, state, noise):
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            loss = self.generator_objective(self.critic(fake, training=True))
            scaled = self.generator_optimizer.scale_loss(self._per_replica(loss))
        gradients = tape.gradient(scaled, variables)
        self.generator_optimizer.apply_gradients(zip(gradients, variables))
        self.track({"generator_loss": loss})
        return state

    # ------------------------------------------------ compiled functions
    def compile_step(self, body):
        # Keras has no public way to compile a second step as it compiles
        # train_step (tf.function, the distribution strategy's run and the
        # reduction of the replicas' logs): its TensorFlow trainer's
        # `_make_function` is that, and this is the one place it is used.
        function = self._make_function(lambda data: self._reduced(self.run_step(None, data, body)[0]))
        return lambda keras_state, iterator: (function(iterator), None)

    def keras_function(self, function):
        return lambda keras_state, iterator: (function(iterator), None)

    def keras_train_function(self, run):
        return lambda iterator: run(None, iterator)[0]

    def diverged_at_value(self, keras_state):
        return self.diverged_at

    def critic_update_function(self):
        def update(real, fake):
            return self.logs(self.critic_update(self, real, fake))

        step = tf.function(update, reduce_retracing=True, autograph=False, jit_compile=bool(self.jit_compile))
        return lambda real, fake: step(tf.convert_to_tensor(real), tf.convert_to_tensor(fake))

    # ------------------------------------------------ hooks the model calls
    def replicas(self):
        return self.distribute_strategy.num_replicas_in_sync

    def replica_slice(self, draw, local_batch):
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

    def variable_scope(self):
        return self.distribute_strategy.scope()

    def sync_state(self):
        """Variables are updated in place: nothing to put back."""

    def auto_jit_compile(self, run_eagerly):
        """XLA where it was measured to win (``python -m benchmarks``).

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
        return not (nets.has_layer(self.generator, convolutional) or nets.has_layer(self.critic, convolutional))

    def loaded_jit_compile(self, jit_compile):
        # The file may come from JAX, where XLA is always on: let this
        # backend choose again.
        return "auto" if jit_compile is True else jit_compile

    def feed(self, source):
        return self._pipelines().use(source)

    def feed_validation(self, data):
        return tensorflow_input.validation_input(data)

    def input_error(self):
        return self._pipelines().error

    def release_input(self):
        pipelines = self._pipelines()
        pipelines.error = None
        pipelines.release()

    # ------------------------------------------------------------ helpers
    def _pipelines(self):
        """The model's ``tf.data`` pipelines, built once per element shape (``tensorflow_input.TFPipelines``)."""
        if getattr(self, "_tf_pipelines", None) is None:
            self._tf_pipelines = tensorflow_input.TFPipelines()
        return self._tf_pipelines

    def _reduced(self, logs):
        if _multi_worker(self.distribute_strategy):
            # Keras 3.15 reduces logs across workers with
            # strategy.reduce("MEAN", v, axis=0), which fails on scalars; the
            # values are metric results (already aggregated), so shape (1,)
            # comes back as the same scalar.
            logs = {name: tf.reshape(value, (1,)) for name, value in logs.items()}
        return logs

    def _per_replica(self, loss):
        """Scale a per-replica mean so summed gradients equal the global mean's."""
        replicas = self.distribute_strategy.num_replicas_in_sync
        return loss / replicas if replicas > 1 else loss


def _clip_variables(variables, clip_value):
    """WGAN line 7 in place, also inside a ``tf.distribute`` replica context.

    There mirrored variables can only be written through the strategy (the
    route Keras's optimizers take for weight decay).
    """
    variables = list(variables)
    if not (tf.distribute.has_strategy() and not tf.distribute.in_cross_replica_context()):
        for variable, value in zip(variables, clip_values(variables, clip_value)):
            variable.assign(value)
        return

    def clip(var):
        return var.assign(ops.clip(var, -clip_value, clip_value))

    def clip_all(distribution, tf_variables):
        for var in tf_variables:
            distribution.extended.update(var, clip, group=False)

    tf_variables = [getattr(v, "value", v) for v in variables]
    # TensorFlow has no public merge call for a replica context.
    tf.__internal__.distribute.interim.maybe_merge_call(clip_all, tf.distribute.get_strategy(), tf_variables)


def _multi_worker(strategy):
    # TensorFlow has no public test of whether this strategy spans several workers
    # (without a TF_CONFIG cluster it runs on one, as a mirrored strategy).
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and (
        strategy.extended._in_multi_worker_mode()
    )


__all__ = ["Trainer"]
