"""Register the models with Keras when Keras loads, whoever loads it.

``keras.models.load_model`` finds ``GAN``, ``WGAN`` and ``WGANGP`` only once
``wgan_keras.models`` has run (its classes register themselves), and Keras
imports no package but its own to look for one. So the package must import its
models as soon as Keras is loaded. It must not load Keras itself: Keras fixes
its backend at its first import, and the command line
(``python -m wgan_keras.train --backend jax``) imports the package before it
reads ``--backend``.

:func:`after_keras_loads` runs the registration at once if Keras is loaded,
else at the end of the import that loads it, whether the user's
``import keras`` or a package module's. In the second case it waits until the
package module that imported Keras has finished: the models import the package's
modules, and one that is half-executed would fail them.
"""

import importlib.abc
import sys
import threading

_PACKAGE = __name__.rpartition(".")[0]


def after_keras_loads(register):
    """Call ``register()`` once: now if Keras is loaded, else right after Keras's first import."""
    if "keras" in sys.modules:
        register()
    else:
        sys.meta_path.insert(0, _AfterKerasLoads(register))


class _AfterKerasLoads(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the loaders of Keras and of the package's modules."""

    def __init__(self, register):
        self._register = register
        # Per thread: another thread's half-executed module only makes the
        # models' import wait on its lock, as any import would.
        self._executing = threading.local()

    def find_spec(self, name, path=None, target=None):
        if name != "keras" and not name.startswith(_PACKAGE + "."):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _ReportingLoader(spec.loader, self)
                return spec
        return None

    def executing(self, change):
        self._executing.depth = getattr(self._executing, "depth", 0) + change

    def executed(self):
        """A module finished executing: register if Keras is loaded and no package module is half-executed."""
        if getattr(self._executing, "depth", 0) or "keras" not in sys.modules or self not in sys.meta_path:
            return
        sys.meta_path.remove(self)
        self._register()


class _ReportingLoader(importlib.abc.Loader):
    """The module's own loader, which also reports to the finder when the module has executed."""

    def __init__(self, loader, finder):
        self._loader = loader
        self._finder = finder

    def __getattr__(self, name):  # get_code, get_source, is_package, ... as the wrapped loader has them
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._finder.executing(+1)
        try:
            self._loader.exec_module(module)
        finally:
            self._finder.executing(-1)
        self._finder.executed()
