"""What GAN, WGAN and WGAN-GP share: the training loop around their losses.

One ``fit`` step is one *generator iteration* of Algorithm 1 (WGAN and
WGAN-GP alike): ``n_critic`` critic updates, each on a fresh real minibatch
and fresh noise, then one generator update on fresh noise.

Fresh real data for every critic update is guaranteed by the input layout:
``fit`` groups ``n_critic`` consecutive batches of the user's dataset into
one element of shape ``(batch, n_critic, *sample_shape)``. The batch axis
stays first so that ``tf.distribute`` splits every critic batch across
replicas, and the critic loop is unrolled in Python: optimizer updates
inside ``tf.cond``/``tf.while_loop`` are not supported under
``MirroredStrategy`` (they contain a synchronisation point).

Randomness: every draw in ``train_step`` comes from ``self.train_seed``, a
``keras.random.SeedGenerator`` owned by the model. Under ``tf.distribute``
each replica draws the *global* batch and keeps its own slice, so an
N-replica run sees the same numbers as a 1-replica run. The generator
states are saved with the model (Keras does not save them by default), so a
resumed run continues the same random stream.
"""

import math

import numpy as np
import tensorflow as tf

import keras
from keras import ops

from wgan_keras import params


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite; training stopped before anything else ran.

    Raised from inside ``fit``, so no callback saves the diverged weights:
    the last checkpoint written before it is the last good one.
    """

    def __init__(self, losses, generator_iteration):
        self.losses = dict(losses)
        self.generator_iteration = generator_iteration
        names = ", ".join(f"{k}={v}" for k, v in sorted(self.losses.items()))
        super().__init__(
            f"Training diverged at generator iteration {generator_iteration}: {names} "
            "(losses are running means over the epoch; 'weights' means a network's weights became "
            "non-finite). Training was stopped at once; weights after this "
            "step are not finite and no callback saved them. Lower the learning rate, check the "
            "data for NaN, or resume from the last checkpoint."
        )


def _sample_shape(model, which):
    shape = model.input_shape if which == "input" else model.output_shape
    if isinstance(shape, list):
        raise ValueError(f"{model.name} must have a single {which}; got shapes {shape}.")
    return tuple(shape[1:])


def _features(element):
    """The samples of a dataset element: ``x`` of ``x``, ``(x, y)`` or ``(x, y, w)``."""
    if isinstance(element, (tuple, list)):
        return element[0]
    if isinstance(element, dict):
        raise ValueError(
            "Dataset elements must be a tensor or a tuple (samples, labels, ...); "
            f"got a dict with keys {sorted(element)}."
        )
    return element


class AdversarialModel(keras.Model):
    """Base class: a generator, a critic (or discriminator) and their loop.

    Subclasses define ``critic_objective`` (the critic's loss and the values
    to log), ``generator_objective`` and ``default_optimizers``; they may
    override ``after_critic_update`` (WGAN clips there) and
    ``critic_iterations`` (WGAN's warm-up schedule).
    """

    #: the name under which the second network is stored ("critic" or
    #: "discriminator"); it is also the constructor argument's name.
    critic_name = "critic"
    #: the metrics shown by the progress bar and recorded in the History.
    metric_names = ()
    #: metrics that ``test_step`` (validation) computes.
    validation_metric_names = ()

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
            seed = int(np.random.randint(0, 2**31 - 1))
        self.seed = params.require_int("seed", seed, minimum=0)

        self.generator = generator
        setattr(self, self.critic_name, critic)
        # Three independent streams: training draws, generate(), validation.
        # Sampling or validating never shifts the training stream.
        self.train_seed = keras.random.SeedGenerator(self.seed, name="train_seed")
        self.sample_seed = keras.random.SeedGenerator(self.seed + 1, name="sample_seed")
        self.eval_seed = keras.random.SeedGenerator(self.seed + 2, name="eval_seed")
        self.generator_iterations = self.add_weight(
            shape=(),
            dtype="int64",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="generator_iterations",
        )
        self._trackers = {m: keras.metrics.Mean(name=m) for m in self.metric_names}
        self.generator_optimizer = None
        self.critic_optimizer = None
        self._compile_options = {}
        self._fused_critic_pass = not any(
            isinstance(layer, keras.layers.BatchNormalization) for layer in critic._flatten_layers()
        )
        self._next_generator_iteration = None
        self._generate_fn = None
        self._weights_finite_fn = None
        self.built = True

    # ----------------------------------------------------------------- API
    @property
    def metrics(self):
        return list(self._trackers.values())

    def default_optimizers(self):
        """``(generator_optimizer, critic_optimizer)`` of the paper."""
        raise NotImplementedError

    def compile(self, generator_optimizer=None, critic_optimizer=None, **kwargs):
        """Configure training.

        Args:
            generator_optimizer, critic_optimizer: optimizers, their names or
                configs; ``None`` uses the paper's (see ``default_optimizers``).
            **kwargs: Keras options such as ``jit_compile``,
                ``steps_per_execution`` and ``run_eagerly``; they are passed to
                ``keras.Model.compile`` unchanged.
        """
        for unused in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics"):
            if kwargs.get(unused) is not None:
                raise ValueError(
                    f"{type(self).__name__}.compile() does not take `{unused}`: the losses are "
                    "fixed by the paper and the metrics are built in. Pass generator_optimizer= "
                    f"and {self._critic_optimizer_arg}= for the optimizers."
                )
            kwargs.pop(unused, None)
        if kwargs.get("jit_compile", "auto") == "auto":
            kwargs["jit_compile"] = self._auto_jit_compile(kwargs.get("run_eagerly", False))
        super().compile(optimizer=None, **kwargs)
        defaults = self.default_optimizers()
        self.generator_optimizer = keras.optimizers.get(generator_optimizer or defaults[0])
        self.critic_optimizer = keras.optimizers.get(critic_optimizer or defaults[1])
        if self.generator_optimizer is self.critic_optimizer:
            raise ValueError(
                "generator_optimizer and the critic's optimizer must be two different "
                "optimizer objects: each keeps its own state (moments, iterations)."
            )
        if self.dtype_policy.name == "mixed_float16" or (
            keras.config.dtype_policy().name == "mixed_float16"
        ):
            self.generator_optimizer = _loss_scaled(self.generator_optimizer)
            self.critic_optimizer = _loss_scaled(self.critic_optimizer)
        # Built now, so that load_weights / BackupAndRestore can restore
        # their state before the first step.
        with self.distribute_strategy.scope():
            self.generator_optimizer.build(self.generator.trainable_variables)
            self.critic_optimizer.build(self.critic.trainable_variables)
        self._compile_options = dict(kwargs)

    def _auto_jit_compile(self, run_eagerly):
        """XLA where it was measured to win (``python -m wgan_keras.bench``).

        On accelerators this is Keras's own rule (XLA on, except under
        ``tf.distribute``). On CPU, XLA made the toy MLP step faster
        (9.4 vs 8.2 generator iterations/s) and the DCGAN step slower
        (1.0 vs 1.5): so XLA for networks without convolutions only.
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

    @property
    def _critic_optimizer_arg(self):
        return "critic_optimizer"

    def generate(self, n, seed=None, batch_size=1024):
        """Draw ``n`` samples ``G(z)``, ``z ~ N(0, I)``, as a numpy array.

        Args:
            n: number of samples.
            seed: an int gives the same samples on every call; ``None`` uses
                the model's own sampling stream (``self.sample_seed``), which
                never affects the training stream.
            batch_size: generator batch size, to bound memory.
        """
        n = params.require_int("n", n, minimum=1)
        batch_size = params.require_int("batch_size", batch_size, minimum=1)
        source = self.sample_seed if seed is None else keras.random.SeedGenerator(int(seed))
        if self._generate_fn is None:
            self._generate_fn = tf.function(
                lambda z: self.generator(z, training=False), reduce_retracing=True
            )
        chunks = []
        for start in range(0, n, batch_size):
            size = min(batch_size, n - start)
            noise = keras.random.normal((size, self.latent_dim), seed=source)
            chunks.append(ops.convert_to_numpy(self._generate_fn(noise)))
        return np.concatenate(chunks, axis=0)

    # ------------------------------------------------------------ training
    def fit(self, x=None, y=None, batch_size=None, epochs=1, shuffle=True, **kwargs):
        """``keras.Model.fit`` on a stream of real minibatches.

        Args:
            x: a ``tf.data.Dataset`` of real batches (elements ``x`` or
                ``(x, labels)``; labels are ignored), or a numpy array of real
                samples, batched here with ``batch_size`` (default 64) and
                shuffled with the model's seed.
            y: must be ``None``.
            epochs, **kwargs: as for ``keras.Model.fit``. ``steps_per_epoch``
                counts generator iterations; each consumes ``n_critic`` batches.
        """
        if y is not None:
            raise ValueError(f"{type(self).__name__}.fit() takes no targets: y must be None.")
        if self.generator_optimizer is None:
            raise RuntimeError(f"Call {type(self).__name__}.compile() before fit().")
        self._check_warmup_compatible()
        stream = self.critic_stream(x, batch_size=batch_size, shuffle=shuffle)
        validation = kwargs.get("validation_data")
        if isinstance(validation, np.ndarray):
            kwargs["validation_data"] = self._batched(validation, batch_size or 64, shuffle=False)
        self._next_generator_iteration = None  # re-read after callbacks restore state
        # The stream is already shuffled (seeded) where that applies.
        return super().fit(stream, epochs=epochs, shuffle=False, **kwargs)

    def critic_stream(self, x, batch_size=None, shuffle=True):
        """Group the real batches ``n_critic`` at a time: ``(batch, n_critic, ...)``."""
        if isinstance(x, np.ndarray):
            x = self._batched(x, batch_size or 64, shuffle)
        elif not isinstance(x, tf.data.Dataset):
            raise ValueError(
                "x must be a tf.data.Dataset of real batches or a numpy array of real samples; "
                f"got {type(x).__name__}."
            )
        elif batch_size is not None:
            raise ValueError("batch_size must be None when x is a tf.data.Dataset (it is batched).")
        spec = _features(x.element_spec)
        self._check_sample_shape(spec.shape)
        x = x.map(_features)
        if spec.shape[0] is None:
            raise ValueError(
                "Every real batch must have the same size: batch the dataset with "
                "drop_remainder=True (its batch dimension is unknown)."
            )
        replicas = self.distribute_strategy.num_replicas_in_sync
        if spec.shape[0] % replicas:
            raise ValueError(
                f"The batch size {spec.shape[0]} must be divisible by the number of replicas "
                f"({replicas}): each replica trains on an equal share of every global batch."
            )
        group = self.n_critic

        def layout(batches):
            perm = [1, 0] + list(range(2, len(batches.shape)))
            return tf.transpose(tf.cast(batches, self.compute_dtype), perm)

        return x.batch(group, drop_remainder=True).map(layout).prefetch(tf.data.AUTOTUNE)

    def _batched(self, array, batch_size, shuffle):
        batch_size = params.require_int("batch_size", batch_size, minimum=1)
        ds = tf.data.Dataset.from_tensor_slices(array.astype("float32"))
        if shuffle:
            ds = ds.shuffle(len(array), seed=self.seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size, drop_remainder=True)

    def _check_sample_shape(self, batch_shape):
        got = tuple(batch_shape[1:])
        want = self.sample_shape
        if len(got) != len(want) or any(
            g is not None and w is not None and g != w for g, w in zip(got, want)
        ):
            raise ValueError(
                f"The data's sample shape {got} does not match the {self.critic_name}'s input "
                f"shape {want} (batches must have shape (batch,) + {want})."
            )

    def train_step(self, data):
        return self._step(data, update_generator=True)

    def critic_only_step(self, data):
        """``n`` critic updates and no generator update (WGAN's warm-up)."""
        return self._step(data, update_generator=False)

    def _step(self, data, update_generator):
        real = _features(data)
        for i in range(real.shape[1]):
            self._critic_update(real[:, i])
        if update_generator:
            self._generator_update(tf.shape(real)[0])
            self.generator_iterations.assign_add(1)
        return self._logs(self._trackers)

    def _logs(self, trackers):
        logs = {name: tracker.result() for name, tracker in trackers.items()}
        if _multi_worker(self.distribute_strategy):
            # Keras 3.15 reduces logs across workers with
            # strategy.reduce("MEAN", v, axis=0), which fails on scalars; the
            # values are metric results (already aggregated), so shape (1,)
            # comes back as the same scalar.
            logs = {name: tf.reshape(value, (1,)) for name, value in logs.items()}
        return logs

    def _critic_update(self, real):
        fake = self.generator(self.draw_noise(tf.shape(real)[0]), training=True)
        self.critic_step(real, fake)

    def critic_step(self, real, fake):
        """One critic update on given real and fake batches, with its logs tracked.

        The update of Algorithm 1 (objective, optimizer, clipping for WGAN)
        with the fake batch supplied instead of drawn from the generator:
        ``wgan_keras.critics`` uses it to train critics against a fixed
        distribution (WGAN-GP Figure 1, WGAN Figure 2).
        """
        variables = self.critic.trainable_variables
        with tf.GradientTape() as tape:
            loss, logs = self.critic_objective(real, fake)
            scaled = self.critic_optimizer.scale_loss(self._per_replica(loss))
        gradients = tape.gradient(scaled, variables)
        self.critic_optimizer.apply_gradients(zip(gradients, variables))
        self.after_critic_update()
        self._track(logs)
        return logs

    def _generator_update(self, batch):
        noise = self.draw_noise(batch)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            loss = self.generator_objective(self.critic(fake, training=True))
            scaled = self.generator_optimizer.scale_loss(self._per_replica(loss))
        gradients = tape.gradient(scaled, variables)
        self.generator_optimizer.apply_gradients(zip(gradients, variables))
        self._track({"generator_loss": loss})

    def test_step(self, data):
        """Validation: the critic's objective on held-out real data (WGAN-GP Fig. 5b)."""
        real = _features(data)
        fake = self.generator(self.draw_noise(tf.shape(real)[0], self.eval_seed), training=False)
        # The validation stream: evaluating never shifts the training draws.
        _, logs = self.critic_objective(real, fake, training=False, seed=self.eval_seed)
        logs = {k: v for k, v in logs.items() if k in self.validation_metric_names}
        self._track(logs)
        return self._logs({k: self._trackers[k] for k in logs})

    def critic_objective(self, real, fake, training=True, seed=None):
        """``(loss, logs)`` of one critic update.

        ``seed``: the ``SeedGenerator`` of any random draw the objective
        makes (WGAN-GP's interpolation weights); ``None`` is the training
        stream.
        """
        raise NotImplementedError

    def generator_objective(self, fake_values):
        raise NotImplementedError

    def after_critic_update(self):
        """Hook run after every critic update (WGAN clips here)."""
        return None

    #: True when critic_iterations varies (WGAN's warm-up schedule).
    has_critic_schedule = False

    def critic_iterations(self, generator_iteration):
        """Critic updates before generator update number ``generator_iteration``."""
        return self.n_critic

    # ------------------------------------------------------------- helpers
    def critic_values(self, real, fake, training=True):
        """``(f(real), f(fake))``, in one pass when batch statistics allow it.

        A critic without BatchNormalization treats samples independently, so
        one call on the concatenation is the same function, done faster. With
        BatchNormalization (WGAN's DCGAN critic) the two batches are passed
        separately, as in the official code, so batch statistics are not mixed.
        """
        if self._fused_critic_pass:
            both = self.critic(ops.concatenate([real, fake], axis=0), training=training)
            return both[: tf.shape(real)[0]], both[tf.shape(real)[0] :]
        return self.critic(real, training=training), self.critic(fake, training=training)

    def _stream(self, seed=None):
        """The ``SeedGenerator`` to draw from: ``seed``, or the training stream."""
        return self.train_seed if seed is None else seed

    def draw_noise(self, batch, seed=None):
        return self._replica_slice(
            lambda n: keras.random.normal((n, self.latent_dim), seed=self._stream(seed)),
            batch,
        )

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

    def _track(self, logs):
        for name, value in logs.items():
            self._trackers[name].update_state(value)

    # ---------------------------------------- warm-up and divergence stop
    def _check_warmup_compatible(self):
        if self.has_critic_schedule and self._compile_options.get("steps_per_execution", 1) != 1:
            raise ValueError(
                f"steps_per_execution={self._compile_options['steps_per_execution']} cannot be "
                "combined with a critic warm-up schedule, which changes the number of critic "
                "updates from one generator iteration to the next. Use steps_per_execution=1, "
                "or turn the schedule off (critic_warmup=False)."
            )

    def make_train_function(self, force=False):
        if self.train_function is not None and not force:
            return self.train_function
        super().make_train_function(force=True)
        step_function = self.train_function
        critic_functions = {}

        def critic_only(updates, iterator):
            # Each call consumes one element of n_critic batches; a partial
            # chunk uses the first `updates` of them (still fresh data).
            if updates not in critic_functions:
                critic_functions[updates] = self._make_function(
                    lambda data: self.critic_only_step(_features(data)[:, :updates])
                )
            return critic_functions[updates](iterator)

        def train_function(iterator):
            if self._next_generator_iteration is None:
                self._next_generator_iteration = int(self.generator_iterations.numpy())
            extra = self.critic_iterations(self._next_generator_iteration) - self.n_critic
            for _ in range(extra // self.n_critic):
                critic_only(self.n_critic, iterator)
            if extra % self.n_critic:
                critic_only(extra % self.n_critic, iterator)
            logs = step_function(iterator)
            self._next_generator_iteration += self._compile_options.get("steps_per_execution", 1)
            self._stop_if_diverged(logs)
            return logs

        self.train_function = train_function
        return self.train_function

    def _stop_if_diverged(self, logs):
        values = {k: float(np.ravel(ops.convert_to_numpy(v))[0]) for k, v in logs.items()}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        # Losses alone can miss it: in graph mode oneDNN's fused MatMul+ReLU
        # maps NaN to 0, so NaN weights can yield finite losses for a step.
        if not bad and not bool(self._weights_finite()):
            bad = {"weights": float("nan")}
        if bad:
            raise TrainingDiverged(bad, self._next_generator_iteration)

    @property
    def _weights_finite(self):
        if getattr(self, "_weights_finite_fn", None) is None:
            variables = self.generator.trainable_variables + self.critic.trainable_variables

            def all_finite():
                return tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in variables])

            self._weights_finite_fn = tf.function(all_finite)
        return self._weights_finite_fn

    # -------------------------------------------------------------- saving
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
        config["generator_optimizer"] = keras.saving.serialize_keras_object(
            _unscaled(self.generator_optimizer)
        )
        config[self._critic_optimizer_arg] = keras.saving.serialize_keras_object(
            _unscaled(self.critic_optimizer)
        )
        return config

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("generator_optimizer", self._critic_optimizer_arg):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)

    def _own_state(self):
        return [self.generator_iterations] + [
            s.state for s in (self.train_seed, self.sample_seed, self.eval_seed)
        ]

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
            variable.assign(store[str(i)])
        self._next_generator_iteration = None


def _multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and (
        strategy.extended._in_multi_worker_mode()
    )


def _is_plain(value):
    return value is None or isinstance(value, (bool, int, float, str))


def _loss_scaled(optimizer):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


def _unscaled(optimizer):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.inner_optimizer
    return optimizer
