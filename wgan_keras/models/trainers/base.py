"""Algorithm 1, once, for every backend: the outline and the primitives it needs.

Keras splits its training loop into a backend-neutral ``trainers/trainer.py``
and one ``backend/<name>/trainer.py`` per backend; ``Trainer`` here is the
neutral part of ``AdversarialModel``'s step. It holds Algorithm 1's outline
(WGAN and WGAN-GP alike), written once:

* :meth:`Trainer.generator_iteration`: lines 2-11, ``n_critic`` critic
  iterations on fresh real batches, then one generator update, then the
  iteration is counted and the divergence flag updated;
* :meth:`Trainer.critic_iteration`: lines 3-8, fresh noise, ``G(z)``, one
  critic update;
* :meth:`Trainer.make_train_function`: the warm-up schedule's extra
  critic-only chunks (WGAN's official code) before Keras's compiled step,
  and the host-side divergence check after it.

A backend (``trainers/tensorflow.py``, ``trainers/jax.py``) implements only
the primitives below, each marked ``NotImplementedError`` here, with these
names and signatures. They thread an opaque ``state``: TensorFlow updates
variables in place, so its ``state`` is the model itself; JAX's step is
stateless, so its ``state`` is a ``Values`` holder of the variables' values.
:class:`InPlaceState` holds the state primitives of the in-place backends
(TensorFlow, PyTorch) once.
Every primitive takes the state and returns it (updated).

To follow one generator iteration: ``AdversarialModel.fit``
(``models/base.py``) feeds Keras; Keras calls ``train_function`` (built by
:meth:`make_train_function` here), which calls the backend's ``train_step``,
which runs :meth:`generator_iteration` here on the backend's primitives.
"""

import contextlib
import functools

from keras import ops

from wgan_keras.models import stream


class Trainer:
    """The backend-neutral half of ``AdversarialModel``'s training step.

    Mixed in before ``keras.Model`` (through a backend's subclass). What the
    outline and the primitives use of the model (``models/base.py`` unless
    said):

    * the networks and their losses: ``generator``, ``critic``,
      ``generator_optimizer``, ``critic_optimizer``, ``critic_objective``,
      ``generator_objective``, ``critic_clip_value`` (WGAN);
    * randomness: ``train_seed`` and ``draw_noise``;
    * metrics: ``_trackers`` (one ``keras.metrics.Mean`` per name of
      ``metric_names``), ``track`` and ``validation_logs``;
    * the counters: ``generator_iterations``, ``diverged_at``,
      ``diverged_values``, ``divergence_flag`` and ``_after_steps``
      (``models/divergence_stop.py``), ``extra_critic_chunks``
      (``models/schedule.py``).
    """

    # ------------------------------------------------ Algorithm 1's outline
    def generator_iteration(self, state, real):
        """One generator iteration: Algorithm 1, lines 2-11 of both papers.

        ``real``: ``(batch, n_critic, *sample)``, one fresh real minibatch
        per critic update.
        """
        for i in range(real.shape[1]):  # line 2: for t = 1, ..., n_critic
            state = self.critic_iteration(state, real[:, i])  # lines 3-8 (a fresh real batch each time)
        state, noise = self.fresh_noise(state, ops.shape(real)[0])  # line 9: z ~ p(z)
        state = self.generator_update(state, noise)  # lines 10-11
        return self.count_iteration(state)

    def critic_only_iterations(self, state, real, updates):
        """``updates`` critic iterations on the element's first batches, no generator update.

        WGAN's warm-up (the official code's schedule, not in the paper): the
        extra critic iterations of an early or every 500th generator
        iteration, lines 3-8 repeated.
        """
        for i in range(updates):
            state = self.critic_iteration(state, real[:, i])
        return state

    def critic_iteration(self, state, real):
        """One critic iteration on a fresh real batch: Algorithm 1, lines 3-8 (line 3 is ``real``)."""
        state, noise = self.fresh_noise(state, ops.shape(real)[0])  # line 4: z ~ p(z)
        fake, state = self.generate_fake(state, noise)
        return self.critic_update(state, real, fake)  # WGAN lines 5-7, WGAN-GP lines 4-9

    def fresh_noise(self, state, batch):
        """``(state, z)``: ``z ~ N(0, I)`` from the training stream, its state advanced."""
        with self.stateful(state, [self.train_seed.state]):
            noise = self.draw_noise(batch)
        return state, noise

    def count_iteration(self, state):
        """Count the generator iteration and update the divergence flag (on the device)."""
        iteration = self.read(state, [self.generator_iterations])[0] + 1
        weights = self.read(state, self.generator.trainable_variables + self.critic.trainable_variables)
        at, values = self.divergence_flag(
            *self.read(state, [self.diverged_at, self.diverged_values]), self.logs(state), weights, iteration
        )
        return self.write(
            state, [self.generator_iterations, self.diverged_at, self.diverged_values], [iteration, at, values]
        )

    def run_step(self, keras_state, data, body):
        """``body(state, real)`` on Keras's step arguments: ``(logs, keras_state)``.

        ``keras_state`` is what Keras's compiled step passes in (``None`` on
        TensorFlow); ``data`` is one stream element.
        """
        state = self.open_state(keras_state)
        state = body(state, stream.features(data))
        return self.logs(state), self.close_state(state)

    # ------------------------------------------------ the compiled functions
    def make_train_function(self, force=False):
        """Keras's compiled step with WGAN's warm-up before it and the divergence check after it."""
        if self.train_function is not None and not force:
            return self.train_function
        steps = self.keras_steps()
        warmup = {}

        def run(keras_state, iterator):
            for updates in self.extra_critic_chunks():  # WGAN's warm-up
                # Each call reads one element of n_critic batches; a partial
                # chunk uses its first `updates` (still fresh data).
                if updates not in warmup:
                    warmup[updates] = self.compile_step(functools.partial(self.critic_only_iterations, updates=updates))
                _, keras_state = warmup[updates](keras_state, iterator)
            logs, keras_state = steps(keras_state, iterator)
            self._after_steps(self.steps_per_execution, lambda: self.diverged_at_value(keras_state))
            return logs, keras_state

        self.train_function = self.keras_train_function(run)
        return self.train_function

    def keras_steps(self):
        """``steps_per_execution`` generator iterations as ``(keras_state, iterator) -> (logs, keras_state)``.

        Keras's own compiled step (its ``make_train_function``, which calls
        the backend's ``train_step``), in the form of :meth:`keras_function`.
        A backend whose Keras trainer cannot run several steps per call (the
        PyTorch trainer refuses ``steps_per_execution > 1``) builds its own.
        """
        super().make_train_function(force=True)
        return self.keras_function(self.train_function)

    def critic_update_function(self):
        """A compiled ``(real, fake) -> logs``: one critic update on given batches, applied to the model.

        The body of :meth:`critic_iteration` (WGAN lines 5-7, WGAN-GP lines
        4-9), for critics trained against a fixed distribution
        (``wgan_keras.critics``). ``logs``: the tracked metrics.
        """
        raise NotImplementedError

    # ------------------------------------------ primitives: the state threaded
    def open_state(self, keras_state):
        """The ``state`` the primitives thread, from what Keras's compiled step receives."""
        raise NotImplementedError

    def close_state(self, state):
        """What Keras's compiled step returns as its state (``None`` on TensorFlow)."""
        raise NotImplementedError

    def read(self, state, variables):
        """The values of ``variables`` in ``state``."""
        raise NotImplementedError

    def write(self, state, variables, values):
        """``state`` with ``variables`` set to ``values``."""
        raise NotImplementedError

    def stateful(self, state, variables):
        """A context in which Keras's stateful code (a random draw) reads and writes ``variables`` of ``state``."""
        raise NotImplementedError

    def logs(self, state):
        """The tracked metrics' results (epoch means) in ``state``."""
        raise NotImplementedError

    # --------------------------------------------- primitives: Algorithm 1
    def generate_fake(self, state, noise):
        """``(G(noise), state)``, the generator in training mode (its batch statistics updated)."""
        raise NotImplementedError

    def critic_update(self, state, real, fake):
        """One critic update on given batches, its logs tracked; returns the state.

        WGAN Algorithm 1, lines 5-7: the gradient of the critic loss, RMSProp,
        clipping every trainable critic variable to ``[-c, c]``
        (``critic_clip_value``). WGAN-GP Algorithm 1, lines 4-9: the
        interpolates, the penalty, Adam. The loss is ``critic_objective``.
        """
        raise NotImplementedError

    def generator_update(self, state, noise):
        """One generator update on ``noise``, its loss tracked; returns the state.

        Algorithm 1, lines 10-11 (WGAN line 10, WGAN-GP line 11 compute the
        loss). The loss is
        ``generator_objective`` of the critic's values of ``G(noise)``.
        """
        raise NotImplementedError

    # -------------------------------------- primitives: compiled functions
    def compile_step(self, body):
        """``body(state, real)`` compiled as Keras compiles its step.

        Returns ``(keras_state, iterator) -> (logs, keras_state)``; each call
        reads one element from ``iterator``.
        """
        raise NotImplementedError

    def keras_function(self, function):
        """Keras's compiled step ``function`` as ``(keras_state, iterator) -> (logs, keras_state)``.

        Called only by the default :meth:`keras_steps`; a backend that builds
        its own steps (PyTorch) does not provide it.
        """
        raise NotImplementedError

    def keras_train_function(self, run):
        """``run(keras_state, iterator) -> (logs, keras_state)`` in the form Keras's ``fit`` calls."""
        raise NotImplementedError

    def diverged_at_value(self, keras_state):
        """The device-side ``diverged_at`` after a call that returned ``keras_state``."""
        raise NotImplementedError

    # ------------------------------------------------ hooks the model calls
    def replicas(self):
        """Devices each global batch is split across."""
        raise NotImplementedError

    def replica_slice(self, draw, local_batch):
        """``draw(n)`` for this replica's ``local_batch`` rows: 1 and N replicas draw the same numbers."""
        raise NotImplementedError

    def variable_scope(self):
        """The context in which the model creates variables (optimizer states)."""
        raise NotImplementedError

    def sync_state(self):
        """Put the state of the last compiled call back into the model's variables."""
        raise NotImplementedError

    def auto_jit_compile(self, run_eagerly):
        """``jit_compile`` when ``compile`` is given ``"auto"``."""
        raise NotImplementedError

    def loaded_jit_compile(self, jit_compile):
        """``jit_compile`` for a model loaded from a file whose compile config says ``jit_compile``."""
        raise NotImplementedError

    def feed(self, source):
        """What ``fit`` passes Keras for a ``stream.CriticStream`` (indexable real batches)."""
        raise NotImplementedError

    def feed_validation(self, data):
        """What ``fit`` and ``evaluate`` pass Keras for validation data (a PyDataset or a ``tf.data.Dataset``)."""
        raise NotImplementedError

    def dataset_stream(self, dataset):
        """A ``stream.Stream`` of a ``tf.data.Dataset`` of real batches (any backend, TensorFlow installed)."""
        from wgan_keras.models.trainers import tensorflow_input

        return tensorflow_input.critic_stream(dataset, self)

    def input_error(self):
        """An exception raised while the backend's pipeline read the data, as it was raised (or ``None``)."""
        return None

    def release_input(self):
        """``fit`` has ended: drop the pipeline's reference to the data."""


class InPlaceState:
    """The state primitives of a backend whose variables change in place (TensorFlow, PyTorch).

    The trainer itself is the ``state``: nothing is threaded, nothing is
    returned to Keras, and Keras's stateful code needs no scope. ``read`` and
    ``write`` stay with each backend (a copy that the next update cannot
    change; an assignment outside the autograd graph).
    """

    def open_state(self, keras_state):
        return self

    def close_state(self, state):
        return None

    def stateful(self, state, variables):
        return contextlib.nullcontext()

    def logs(self, state):
        return {name: tracker.result() for name, tracker in self._trackers.items()}
