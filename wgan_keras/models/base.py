"""What GAN, WGAN and WGAN-GP share, on every backend: everything but the step.

One ``fit`` step is one *generator iteration* of Algorithm 1 (WGAN and
WGAN-GP alike): ``n_critic`` critic updates, each on a fresh real minibatch
and fresh noise, then one generator update on fresh noise. The step itself,
the part that differs between backends (TensorFlow's tapes, JAX's stateless
gradients), lives in ``wgan_keras.models.trainers``; this class holds the
rest: arguments, optimizers, the stream of real batches
(``wgan_keras.models.stream``), the critic schedule, the divergence stop,
sampling and saving.

Randomness: every draw in a step comes from ``self.train_seed``, a
``keras.random.SeedGenerator`` owned by the model; ``generate()`` and
validation draw from streams of their own. The generator states are saved
with the model (Keras does not save them by default), so a resumed run
continues the same random stream.
"""

import warnings

import keras
import numpy as np
from keras import ops

from wgan_keras import compiled, nets, params
from wgan_keras.models import stream as streams
from wgan_keras.models.divergence_stop import DIVERGENCE_CHECK_EVERY, DivergenceStop, TrainingDiverged
from wgan_keras.models.saving import Saving
from wgan_keras.models.schedule import CriticSchedule
from wgan_keras.models.trainers import Trainer


def _sample_shape(model, which):
    shape = model.input_shape if which == "input" else model.output_shape
    if isinstance(shape, list):
        raise ValueError(f"{model.name} must have a single {which}; got shapes {shape}.")
    return tuple(shape[1:])


class OptimizerPair:
    """The generator's and the critic's optimizers, where Keras expects one.

    Keras's training loop reads ``model.optimizer.variables`` (JAX threads
    them through its stateless step) and builds ``model.optimizer``; an
    adversarial model has two optimizers, each with its own state.
    """

    def __init__(self, generator_optimizer, critic_optimizer, generator, critic):
        self.generator = generator_optimizer
        self.critic = critic_optimizer
        self._networks = (generator, critic)

    @property
    def variables(self):
        return list(self.generator.variables) + list(self.critic.variables)

    @property
    def built(self):
        return self.generator.built and self.critic.built

    def build(self, variables=None):
        """Build both on their networks' variables (``variables`` is Keras's, unused).

        An optimizer that is already built (passed again to continue training) keeps its state.
        """
        for optimizer, network in zip((self.generator, self.critic), self._networks):
            if not optimizer.built:
                optimizer.build(network.trainable_variables)


class _TrainingStart(keras.callbacks.Callback):
    """Reads where the model stands once the user's callbacks have restored it.

    It runs after them, so a ``BackupAndRestore`` has already put back the
    generator-iteration counter: the critic schedule continues from it, and
    an indexable stream starts at the element the model has reached.
    """

    def __init__(self, stream):
        super().__init__()
        self.stream = stream

    def on_train_begin(self, logs=None):
        model = self.model
        model._next_generator_iteration = int(ops.convert_to_numpy(model.generator_iterations))
        if self.stream.source is not None:
            self.stream.source.start = model.real_elements_consumed(model._next_generator_iteration)


class AdversarialModel(CriticSchedule, DivergenceStop, Saving, Trainer, keras.Model):
    """Base class: a generator, a critic (or discriminator) and their loop.

    Subclasses define ``critic_objective`` (the critic's loss and the values
    to log), ``generator_objective`` and ``default_optimizers``; they may
    set ``critic_clip_value`` (WGAN) and override ``critic_iterations``
    (WGAN's warm-up schedule).
    """

    #: the name under which the second network is stored ("critic" or
    #: "discriminator"); it is also the constructor argument's name.
    critic_name = "critic"
    #: the metrics shown by the progress bar and recorded in the History.
    metric_names = ()
    #: metrics that ``test_step`` (validation) computes.
    validation_metric_names = ()
    #: WGAN: every trainable critic variable is clipped to +-this after each
    #: critic update (Algorithm 1, line 7); None: no clipping.
    critic_clip_value = None

    def __init__(self, generator, critic, n_critic=1, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        for arg, net in (("generator", generator), (self.critic_name, critic)):
            if not isinstance(net, keras.Model):
                raise ValueError(f"{arg} must be a keras.Model; got {type(net).__name__}.")
        self.n_critic = params.require_int("n_critic", n_critic, minimum=1)
        noise_shape = _sample_shape(generator, "input")
        if len(noise_shape) != 1 or noise_shape[0] is None:
            raise ValueError(
                "generator must take noise vectors of shape (batch, latent_dim); "
                f"its input shape is {generator.input_shape}."
            )
        self.latent_dim = int(noise_shape[0])
        produced, accepted = _sample_shape(generator, "output"), _sample_shape(critic, "input")
        if len(produced) != len(accepted) or any(
            a is not None and p is not None and a != p for p, a in zip(produced, accepted)
        ):
            raise ValueError(
                f"The generator's output shape {generator.output_shape} does not fit "
                f"the {self.critic_name}'s input shape {critic.input_shape}."
            )
        self.sample_shape = produced
        if seed is None:
            seed = int(np.random.randint(0, params.seed_max(keras=True, offset=params.MODEL_SEED_OFFSET) + 1))
        self.seed = params.require_seed(seed, keras=True, offset=params.MODEL_SEED_OFFSET)

        self.generator = generator
        setattr(self, self.critic_name, critic)
        # Three independent streams: training draws, generate(), validation.
        # Sampling or validating never shifts the training stream.
        self.train_seed = keras.random.SeedGenerator(self.seed, name="train_seed")
        self.sample_seed = keras.random.SeedGenerator(self.seed + 1, name="sample_seed")
        self.eval_seed = keras.random.SeedGenerator(self.seed + 2, name="eval_seed")
        # int32: JAX has no 64-bit integers by default, and a file saved on
        # one backend must load on the other.
        self.generator_iterations = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="generator_iterations",
        )
        # The divergence stop's state, kept on the device and read only every
        # DIVERGENCE_CHECK_EVERY iterations: the first iteration with a
        # non-finite value (-1: none) and the logged values then.
        self.diverged_at = self.add_weight(
            shape=(),
            dtype="int32",
            initializer=keras.initializers.Constant(-1),
            trainable=False,
            aggregation="only_first_replica",
            name="diverged_at",
        )
        self.diverged_values = self.add_weight(
            shape=(len(self.metric_names) + 1,),
            dtype="float32",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="diverged_values",
        )
        self._trackers = {m: keras.metrics.Mean(name=m) for m in self.metric_names}
        self.generator_optimizer = None
        self.critic_optimizer = None
        self.divergence_check_every = DIVERGENCE_CHECK_EVERY
        self._compile_options = {}
        self._fused_critic_pass = not nets.has_layer(critic, keras.layers.BatchNormalization)
        self._next_generator_iteration = None
        self._fit_steps_per_epoch = None
        self._steps_since_check = 0
        self._steps_in_epoch = 0
        self.built = True

    # ----------------------------------------------------------------- API
    @property
    def metrics(self):
        return list(self._trackers.values())

    def default_optimizers(self, learning_rate=None, beta_1=None):
        """``(generator_optimizer, critic_optimizer)`` of the paper, optionally at another rate."""
        raise NotImplementedError

    @staticmethod
    def two_optimizers(factory, learning_rate=None, beta_1=None):
        """``factory``'s optimizer twice, one per network (each keeps its own state); ``beta_1`` if given."""
        options = {} if beta_1 is None else {"beta_1": beta_1}
        return factory(learning_rate, **options), factory(learning_rate, **options)

    def compile(
        self,
        generator_optimizer=None,
        critic_optimizer=None,
        *,
        learning_rate=None,
        beta_1=None,
        divergence_check_every=None,
        **kwargs,
    ):
        """Configure training.

        Args:
            generator_optimizer, critic_optimizer: optimizers, their names or
                configs; ``None`` uses the paper's (see ``default_optimizers``).
            learning_rate: the rate of the paper's optimizers, for both
                networks (``None``: the paper's, from ``wgan_keras.optimizers``).
            beta_1: Adam's first-moment decay of the paper's optimizers
                (GAN and WGAN-GP; the WGAN-GP toy code uses 0.5).
            divergence_check_every: generator iterations between two reads
                of the device-side NaN/inf flag (default
                ``DIVERGENCE_CHECK_EVERY``, 10); it is read at every epoch
                end too, and a diverged model is never saved.
            **kwargs: Keras options such as ``jit_compile``,
                ``steps_per_execution`` and ``run_eagerly``; they are passed to
                ``keras.Model.compile`` unchanged.
        """
        for unused in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics"):
            if kwargs.get(unused) is not None:
                raise ValueError(
                    f"{type(self).__name__}.compile() does not take `{unused}`: the losses are "
                    "fixed by the paper and the metrics are built in. Pass generator_optimizer= "
                    f"and {self.critic_optimizer_arg}= for the optimizers."
                )
            kwargs.pop(unused, None)
        if divergence_check_every is not None:
            self.divergence_check_every = params.require_int(
                "divergence_check_every", divergence_check_every, minimum=1
            )
        if kwargs.get("jit_compile", "auto") == "auto":
            kwargs["jit_compile"] = self.auto_jit_compile(kwargs.get("run_eagerly", False))
        super().compile(optimizer=None, **kwargs)
        defaults = self.default_optimizers(learning_rate=learning_rate, beta_1=beta_1)
        self.generator_optimizer = keras.optimizers.get(generator_optimizer or defaults[0])
        self.critic_optimizer = keras.optimizers.get(critic_optimizer or defaults[1])
        if self.generator_optimizer is self.critic_optimizer:
            raise ValueError(
                "generator_optimizer and the critic's optimizer must be two different "
                "optimizer objects: each keeps its own state (moments, iterations)."
            )
        if self.dtype_policy.name == "mixed_float16" or keras.config.dtype_policy().name == "mixed_float16":
            self.generator_optimizer = _loss_scaled(self.generator_optimizer)
            self.critic_optimizer = _loss_scaled(self.critic_optimizer)
        self.optimizer = OptimizerPair(self.generator_optimizer, self.critic_optimizer, self.generator, self.critic)
        # Built now, so that load_weights / BackupAndRestore can restore
        # their state before the first step.
        with self.variable_scope():
            self.optimizer.build()
        self._compile_options = dict(kwargs)
        self._compile_options["divergence_check_every"] = self.divergence_check_every

    @property
    def critic_optimizer_arg(self):
        return "critic_optimizer"

    def generate(self, n, seed=None, batch_size=1024):
        """Draw ``n`` samples ``G(z)``, ``z ~ N(0, I)``, as a numpy array.

        Args:
            n: number of samples.
            seed: an int in ``[0, 2**31)`` gives the same samples on every
                call; ``None`` uses the model's own sampling stream
                (``self.sample_seed``), which never affects the training stream.
            batch_size: generator batch size, to bound memory.
        """
        n = params.require_int("n", n, minimum=1)
        batch_size = params.require_int("batch_size", batch_size, minimum=1)
        if seed is not None:
            seed = params.require_seed(seed, keras=True)
        source = self.sample_seed if seed is None else keras.random.SeedGenerator(seed)
        noise = [
            keras.random.normal((min(batch_size, n - start), self.latent_dim), seed=source)
            for start in range(0, n, batch_size)
        ]
        return compiled.predict(self.generator, np.concatenate([ops.convert_to_numpy(z) for z in noise]), batch_size)

    # ------------------------------------------------------------ training
    def fit(self, x=None, y=None, batch_size=None, epochs=1, shuffle=True, steps_per_epoch=None, **kwargs):
        """``keras.Model.fit`` on a stream of real minibatches.

        Args:
            x: a numpy array of real samples (batched here with
                ``batch_size``, default 64, in a seeded permutation per pass),
                a ``keras.utils.PyDataset`` of real batches (e.g.
                ``wgan_keras.data.toy_dataset``), or a ``tf.data.Dataset`` of
                real batches (elements ``x`` or ``(x, labels)``; labels are
                ignored). Samples must be floats in the generator's range
                (integer images are refused: convert them with
                ``x / 127.5 - 1``).
            y: must be ``None``.
            steps_per_epoch: generator iterations per epoch; each reads
                ``n_critic`` fresh batches (WGAN's warm-up iterations read
                ``critic_iterations(g)``). Default: the iterations one pass
                over the data feeds at ``n_critic`` batches each; required
                for endless inputs. The stream runs on across passes, so
                every epoch does exactly this many generator iterations and
                the progress bar and History count them.
            epochs: as for ``keras.Model.fit``.
            **kwargs: as for ``keras.Model.fit`` (``validation_data``
                may be an array of held-out samples). ``validation_split`` is
                not supported: pass ``validation_data``.

        Arrays and PyDatasets continue where the model stands: batch ``i`` of
        the stream is fixed by the seed, and a ``fit`` (or a run restored by
        ``BackupAndRestore``) starts at the batch the last step had reached.
        """
        try:
            return self._fit(x, y, batch_size, epochs, shuffle, steps_per_epoch, **kwargs)
        except Exception as error:
            # On TensorFlow the data is read inside tf.data, which wraps an
            # exception of the user's data in its own error: raise the original.
            raised = self.input_error()
            if raised is not None and raised is not error:
                raise raised from None
            raise
        finally:
            # Also when a check refuses the call: the model keeps no reference to x.
            self.release_input()

    def _fit(self, x, y, batch_size, epochs, shuffle, steps_per_epoch, **kwargs):
        if y is not None:
            raise ValueError(f"{type(self).__name__}.fit() takes no targets: y must be None; got {type(y).__name__}.")
        if self.generator_optimizer is None:
            raise RuntimeError(f"Call {type(self).__name__}.compile() before fit().")
        if kwargs.get("validation_split"):
            raise ValueError(
                "validation_split is not supported: pass held-out real samples as validation_data "
                f"(got validation_split={kwargs['validation_split']!r})."
            )
        epochs = params.require_int("epochs", epochs, minimum=0)
        self.check_warmup_compatible()
        stream = streams.critic_stream(x, self, batch_size=batch_size, shuffle=shuffle, seed=self.seed)
        if steps_per_epoch is None:
            steps_per_epoch = streams.default_steps_per_epoch(stream, self.n_critic)
            if steps_per_epoch is None:
                raise ValueError(
                    "steps_per_epoch is required: x is endless (or its length is unknown), so an epoch "
                    "must be given as a number of generator iterations."
                )
            if steps_per_epoch == 0:
                raise ValueError(
                    f"One pass over x holds {stream.per_pass} batch(es) of {stream.batch_size}, fewer than one "
                    f"generator iteration needs (n_critic = {self.n_critic} fresh batches). Pass steps_per_epoch "
                    "(the stream continues into new passes, reshuffled), more data or a smaller batch_size."
                )
        steps_per_epoch = params.require_int("steps_per_epoch", steps_per_epoch, minimum=1)
        execution = self.steps_per_execution
        if steps_per_epoch % execution:
            raise ValueError(
                f"steps_per_epoch ({steps_per_epoch}) must be a multiple of steps_per_execution ({execution}): "
                "Keras would otherwise run more generator iterations than an epoch has."
            )
        if stream.per_pass is not None and self.has_critic_schedule:
            start = int(ops.convert_to_numpy(self.generator_iterations))
            needed = self.n_critic * sum(self.elements_for_iteration(g) for g in range(start, start + steps_per_epoch))
            if needed > stream.per_pass:
                warnings.warn(
                    f"The critic schedule reads {needed} real batches in this epoch's {steps_per_epoch} generator "
                    f"iterations, more than the {stream.per_pass} of one pass over x: the data is repeated"
                    f"{' in a new permutation per pass' if isinstance(x, np.ndarray) and shuffle else ''}, so every "
                    "epoch still has its generator iterations.",
                    stacklevel=3,
                )
        if kwargs.get("validation_data") is not None:
            kwargs["validation_data"] = streams.validation_stream(
                kwargs["validation_data"],
                kwargs.get("validation_batch_size") or stream.batch_size,
                self.feed_validation,
            )
        callbacks = _with(kwargs.pop("callbacks", None), _TrainingStart(stream))
        self._fit_steps_per_epoch = steps_per_epoch
        self._steps_since_check = 0
        self._steps_in_epoch = 0
        self.diverged_at.assign(-1)
        # The stream is already shuffled (seeded) where that applies.
        return super().fit(
            stream.data, epochs=epochs, shuffle=False, steps_per_epoch=steps_per_epoch, callbacks=callbacks, **kwargs
        )

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        """``keras.Model.evaluate`` on held-out real samples (an array or batches)."""
        if y is not None:
            raise ValueError(f"{type(self).__name__}.evaluate() takes no targets: y must be None.")
        return super().evaluate(streams.validation_stream(x, batch_size, self.feed_validation), **kwargs)

    # ------------------------------------------------------------ objectives
    def critic_objective(self, real, fake, training=True, seed=None):
        """``(loss, logs)`` of one critic update.

        ``seed``: the ``SeedGenerator`` of any random draw the objective
        makes (WGAN-GP's interpolation weights); ``None`` is the training
        stream.
        """
        raise NotImplementedError

    def generator_objective(self, fake_values):
        raise NotImplementedError

    def critic_values(self, real, fake, training=True):
        """``(f(real), f(fake))``, in one pass when batch statistics allow it.

        A critic without BatchNormalization treats samples independently, so
        one call on the concatenation is the same function, done faster. With
        BatchNormalization (WGAN's DCGAN critic) the two batches are passed
        separately, as in the official code, so batch statistics are not mixed.
        """
        if self._fused_critic_pass:
            both = self.critic(ops.concatenate([real, fake], axis=0), training=training)
            count = ops.shape(real)[0]
            return both[:count], both[count:]
        return self.critic(real, training=training), self.critic(fake, training=training)

    def _stream(self, seed=None):
        """The ``SeedGenerator`` to draw from: ``seed``, or the training stream."""
        return self.train_seed if seed is None else seed

    def draw_noise(self, batch, seed=None):
        """``z ~ N(0, I)``, ``(batch, latent_dim)``, from the training stream (or ``seed``)."""
        return self.replica_slice(lambda n: keras.random.normal((n, self.latent_dim), seed=self._stream(seed)), batch)

    def track(self, logs):
        for name, value in logs.items():
            self._trackers[name].update_state(value)

    def validation_logs(self, data):
        """Validation: the critic's objective on held-out real data (WGAN-GP Fig. 5b)."""
        real = streams.features(data)
        real = ops.cast(real, self.compute_dtype)
        fake = self.generator(self.draw_noise(ops.shape(real)[0], self.eval_seed), training=False)
        # The validation stream: evaluating never shifts the training draws.
        _, logs = self.critic_objective(real, fake, training=False, seed=self.eval_seed)
        logs = {k: v for k, v in logs.items() if k in self.validation_metric_names}
        self.track(logs)
        return {k: self._trackers[k].result() for k in logs}


def _with(callbacks, extra):
    if callbacks is None:
        return [extra]
    if isinstance(callbacks, keras.callbacks.CallbackList):
        callbacks.callbacks.append(extra)
        return callbacks
    return list(callbacks) + [extra]


def _loss_scaled(optimizer):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


__all__ = ["DIVERGENCE_CHECK_EVERY", "AdversarialModel", "OptimizerPair", "TrainingDiverged"]
