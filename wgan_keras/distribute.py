"""One ``strategy`` parameter for the library, the CLI and the notebooks.

On TensorFlow, ``get_strategy(name)`` with name in ``STRATEGIES``:

* ``"auto"``: a TPU when one is attached (Colab: ``COLAB_TPU_ADDR``, Cloud:
  ``TPU_NAME``), else ``multi_worker`` when ``TF_CONFIG`` names more than one
  worker, else ``mirrored`` when there are two or more GPUs, else ``default``.
* ``"default"``: no distribution (one device).
* ``"mirrored"``: ``tf.distribute.MirroredStrategy`` over the local GPUs (or
  the given ``devices``, e.g. logical CPUs in tests).
* ``"multi_worker"``: ``MultiWorkerMirroredStrategy``, configured by the
  ``TF_CONFIG`` environment variable. Create it at the very start of the
  program, before any other TensorFlow operation.
* ``"tpu"``: ``TPUStrategy`` (Colab or Cloud TPU). It cannot be tested on
  the project's CPU machines; it is kept to the documented TensorFlow steps.

Build the networks and the model and call ``compile`` inside
``strategy.scope()``; ``fit`` then splits each global batch across replicas.
The models scale their losses for the global batch and draw random numbers
for the global batch, so N replicas compute what one device computes.

On JAX, data parallelism is ``keras.distribution.DataParallel`` (one global
program whose batch axis is split over the devices): ``"mirrored"`` (or
``"auto"`` with several local devices) sets it over the local devices,
``"tpu"`` over the TPU cores JAX sees (a Colab TPU runtime), ``"default"``
none; ``"multi_worker"`` spans several processes (hosts): it starts JAX's
multi-process runtime with ``keras.distribution.initialize()``, configured as
Keras documents it by ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` (the coordinator's
``host:port`` first), ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
``KERAS_DISTRIBUTION_PROCESS_ID`` (``"auto"`` picks it when the number of
processes is above one), and sets ``DataParallel`` over every process's
devices. Create it at the very start of the program, before any other JAX
operation. Each process then feeds its own rows of every global batch (the
JAX trainer slices them), so P processes compute what one computes.
The returned object has the two members the notebooks and the CLI use,
``scope()`` and ``num_replicas_in_sync``.

On PyTorch, Keras offers no data parallelism (``keras.distribution`` is
JAX-only and there is no ``tf.distribute`` counterpart): ``"auto"`` and
``"default"`` train on one device (:class:`OneDevice`), and the other names
are refused. Several GPUs on PyTorch means the user's own
``DistributedDataParallel`` around a plain PyTorch loop, where the library
could not promise that N devices compute what one computes.
"""

import contextlib
import json
import os

import keras

from wgan_keras import params

STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")


class DataParallel:
    """JAX: ``keras.distribution.DataParallel`` set for the whole program.

    ``scope()`` is a no-op (the distribution is global, as Keras needs it
    during ``fit`` too); ``num_replicas_in_sync`` is the number of devices.
    """

    def __init__(self, devices):
        self.devices = list(devices)
        self.num_replicas_in_sync = len(self.devices)
        self.distribution = None
        if len(self.devices) > 1:
            # Each process feeds its own rows of every batch (trainers/jax.py ProcessRows), not a
            # tf.data shard: Keras must not shard the input again.
            self.distribution = keras.distribution.DataParallel(devices=self.devices, auto_shard_dataset=False)
        keras.distribution.set_distribution(self.distribution)

    def scope(self):
        return contextlib.nullcontext()

    def __repr__(self):
        return f"DataParallel({self.num_replicas_in_sync} device(s))"


class OneDevice:
    """PyTorch: one process, one device (``scope()`` is a no-op, one replica)."""

    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()

    def __repr__(self):
        return "OneDevice()"


def _tpu_address():
    return os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME")


def _workers_in_tf_config():
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON: {error}") from error
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def resolve(name="auto"):
    """The concrete strategy name ``get_strategy(name)`` would build."""
    params.require_choice("strategy", name, STRATEGIES)
    if keras.backend.backend() == "jax":
        return _resolve_jax(name)
    if keras.backend.backend() == "torch":
        return _resolve_torch(name)
    if name != "auto":
        return name
    import tensorflow as tf

    if _tpu_address():
        return "tpu"
    if _workers_in_tf_config() > 1:
        return "multi_worker"
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return "mirrored"
    return "default"


def get_strategy(name="auto", devices=None, tpu=None):
    """Build a ``tf.distribute.Strategy`` by name (see the module docstring).

    Args:
        name: one of ``STRATEGIES``.
        devices: for ``"mirrored"``, the device names to mirror over
            (default: all local GPUs, or the CPU).
        tpu: for ``"tpu"``, the TPU address or name (default: from the
            environment, as on Colab).
    """
    name = resolve(name)
    if keras.backend.backend() == "jax":
        return _jax_strategy(name, devices)
    if keras.backend.backend() == "torch":
        return OneDevice()
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        if _workers_in_tf_config() < 1:
            raise ValueError(
                "strategy='multi_worker' needs TF_CONFIG with a 'cluster' of workers and a 'task' "
                "(see tf.distribute.MultiWorkerMirroredStrategy)."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    return _tpu_strategy(tpu)


#: Keras's configuration of a multi-process JAX run (``keras.distribution.initialize``).
JAX_PROCESS_VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES")


def _jax_processes_configured():
    """The number of processes the environment configures for JAX (1 when it configures none)."""
    count = os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES")
    try:
        return int(count) if count else 1
    except ValueError as error:
        raise ValueError(f"KERAS_DISTRIBUTION_NUM_PROCESSES must be a whole number; got {count!r}.") from error


def _resolve_jax(name):
    import jax

    if name == "multi_worker" or (name == "auto" and _jax_processes_configured() > 1):
        missing = [v for v in JAX_PROCESS_VARIABLES + ("KERAS_DISTRIBUTION_PROCESS_ID",) if not os.environ.get(v)]
        if missing and not jax.distributed.is_initialized():
            raise ValueError(
                "strategy='multi_worker' on the JAX backend runs one process per host, started by "
                "keras.distribution.initialize(): set KERAS_DISTRIBUTION_JOB_ADDRESSES (the coordinator's "
                "host:port first), KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID in every "
                f"process (missing: {', '.join(missing)}), or call keras.distribution.initialize() first."
            )
        return "multi_worker"
    if name == "tpu" and not [d for d in jax.devices() if d.platform == "tpu"]:
        raise ValueError("strategy='tpu': JAX sees no TPU device (on Colab, choose a TPU runtime).")
    if name == "auto":
        return "mirrored" if len(jax.local_devices()) > 1 else "default"
    return name


def _resolve_torch(name):
    if name in ("auto", "default"):
        return "default"
    raise ValueError(
        f"strategy={name!r} is not available on the torch backend: Keras has no data parallelism on "
        "PyTorch (keras.distribution is JAX-only), so wgan_keras trains on one device there "
        "(strategy='default' or 'auto'). For several devices use the jax backend with strategy='mirrored' "
        "(or TensorFlow's strategies)."
    )


def _jax_strategy(name, devices):
    import jax

    if name == "multi_worker":
        if not jax.distributed.is_initialized():
            keras.distribution.initialize()  # reads the KERAS_DISTRIBUTION_* variables
        return DataParallel(devices or jax.devices())

    if name == "default":
        return DataParallel(jax.local_devices()[:1])
    if name == "tpu":
        return DataParallel([d for d in jax.devices() if d.platform == "tpu"])
    return DataParallel(devices or jax.local_devices())


def _tpu_strategy(tpu):
    """TensorFlow's documented TPU start-up sequence."""
    import tensorflow as tf

    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or _tpu_address() or "")
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
