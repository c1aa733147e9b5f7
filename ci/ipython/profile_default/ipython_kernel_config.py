# Kernels started with IPYTHONDIR=ci/ipython (papermill and nbval in CI).
# TensorFlow's C++ logging writes to the process's stderr file descriptor; by
# default ipykernel captures fd output into cell outputs, where it breaks
# nbval's comparisons. Leave it on the terminal instead.
c = get_config()  # noqa: F821
c.IPKernelApp.capture_fd_output = False
# CI kernels are throwaway: keep no history database in the repository.
c.HistoryManager.enabled = False
