"""Training SNNs for asynchronous execution (Koopman et al. 2024, arXiv:2408.05098).

* ``common``: ``TrainConfig``, Xavier-uniform ``init_weights``, deterministic single-thread context.
* ``unlayered``: ``train_async``, unlayered backprop through asynchronous dynamics
  (``neurobench.sim.async_torch``) with snnTorch surrogate gradients.
* ``sync``: ``train_sync``, the layer-synchronized snnTorch baseline of the same architecture
  (zero-delay ``snntorch.Leaky`` layers), whose weights are then run asynchronously.

Both return a ``TrainResult`` holding a bias-free ``Network`` of ``Dense`` layers that
``neurobench.sim.asynchronous.simulate_async`` runs directly.
"""

from .common import TrainConfig, TrainResult, init_weights
from .sync import SyncNet, train_sync
from .unlayered import train_async

__all__ = ["SyncNet", "TrainConfig", "TrainResult", "init_weights", "train_async", "train_sync"]
