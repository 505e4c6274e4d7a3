"""Federated learning of spiking networks (Skatchkovsky, Jang, Simeone 2020, FL-SNN; spec §3.2).

* ``glm_snn``: the probabilistic GLM SNN (Bernoulli spiking, raised-cosine basis filters,
  feedback filter, biases) and its local three-factor rule;
* ``fl``: in-process federation (K devices, data splits, server mean and broadcast, the
  slice-selection variant, the uplink counter) and the separate / centralised baselines.
* ``flower``: the same federation as a Flower deployment (a client per device, the server's
  aggregation as a strategy; ``flwr`` 1.42).

Submodules are imported explicitly (``from neurobench.federated.fl import run_federated``).
"""
