"""Training SNNs for asynchronous execution (Koopman et al. 2024, arXiv:2408.05098).

* ``common``: ``TrainConfig`` (the SNN trainers' hyper-parameters) and ``TrainResult``,
  Xavier-uniform ``init_weights``, deterministic single-thread context.
* ``unlayered``: ``train_async``, unlayered backprop through asynchronous dynamics
  (``neurobench.sim.async_torch``) with snnTorch surrogate gradients.
* ``sync``: ``train_sync``, the layer-synchronized snnTorch baseline of the same architecture
  (zero-delay ``snntorch.Leaky`` layers), whose weights are then run asynchronously.

Both return a ``TrainResult`` holding a bias-free ``Network`` of ``Dense`` layers that
``neurobench.sim.asynchronous.simulate_async`` runs directly. The study that uses them (tasks,
model grid, claims) is ``neurobench.experiments.asynchronous``. Neither trainer touches torch's
global random state (the snnTorch baseline seeds torch only inside `torch.random.fork_rng`).
"""

from .common import TrainConfig, TrainResult, init_weights
from .sync import SyncNet, train_sync
from .unlayered import train_async

__all__ = ["SyncNet", "TrainConfig", "TrainResult", "init_weights", "train_async", "train_sync"]
