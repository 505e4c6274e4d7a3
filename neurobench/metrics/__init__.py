"""NeuroBench-compatible metrics over simulation records and networks.

The names and definitions follow the NeuroBench harness (github.com/NeuroBench/neurobench,
package ``neurobench.metrics``), so numbers computed here compare with its leaderboards. Each
function's docstring gives its formula, its units and the harness file it follows; where this
module departs from the harness it says so. All functions are pure: numpy arrays,
``SimRecord`` / ``LayerRecord`` (``neurobench.sim.record``), ``AsyncRecord``
(``neurobench.sim.events``) and ``Network`` in, numbers out.

Conventions
-----------
* A *sample* is one entry of the batch; per-sample quantities are averaged over the batch, as
  the harness divides its accumulated totals by the number of samples.
* A *decision* is the index of the winning output neuron, or ``UNDECIDED`` (-1) when no output
  neuron spiked (or, with ``tie_break="undecided"``, when the top count is tied). An undecided
  sample never matches a label, so it counts as wrong.
* Time step ``n`` is time ``n * dt`` ms, as in ``SimRecord.first_spike_time``.
* Spikes are binary per neuron and step, so "non-zero activations" (the harness's words) are
  spikes, and every synaptic operation of an SNN is an accumulate (AC), never a MAC.

Conventions of definition
-------------------------
Where our definition of a NeuroBench metric differs from NeuroBench's, the function takes
``convention``: ``"workbench"`` (default, ours) or ``"neurobench"`` (NeuroBench 2.3.0's value
for the equivalent snnTorch model): ``parameter_count``, ``footprint``, ``connection_sparsity``,
``synaptic_operations``, ``predict``/``predict_from_counts`` and ``summary``. Per-step metrics
follow the record's time steps; ``delay`` maps our one-step-per-layer delay to snnTorch's
zero-delay stack (``docs/metrics.md``).

Modules (everything is re-exported here: ``from neurobench import metrics; metrics.predict``)
------------------------------------------------------------------------------------------
* ``accuracy``: ``classification_accuracy``, ``agreement``;
* ``decode``: ``predict_from_counts``, ``predict`` (a ``SimRecord`` or an ``AsyncRecord``);
* ``activity``: ``activation_sparsity``, ``activation_sparsity_by_layer``, ``spike_density``
  (clock, per neuron and step), ``spikes_per_neuron`` (asynchronous, per sample),
  ``synaptic_operations``, ``membrane_updates``, ``neuron_operations``;
* ``delay``: ``pad_input``, ``zero_delay_record`` (align a record with snnTorch's time);
* ``harness``: ``Convention``, ``CONVENTIONS``, ``NEUROBENCH_VERSION``, the snnTorch neuron
  module of a population and its buffer bytes and operation costs;
* ``footprint``: ``connection_sparsity``, ``parameter_count``, ``footprint``;
* ``latency``: ``latency_to_decision`` (clock, returns ``DecisionLatency``),
  ``first_output_latency`` and ``accuracy_vs_steps`` (asynchronous);
* ``summary``: ``summary`` (the NeuroBench-style table of a clock run) and ``json_metrics``;
* ``table``: the NeuroBench-style table of a paper report, one row per evaluated
  network of any kind (``clock_metrics``, ``async_metrics``, ``ann_metrics``, ``row``), and its
  display (``neurobench_display``) and ``metrics.json`` keys (``neurobench_json``);
* ``checks``: argument checks and the constants ``UNDECIDED``, ``TIE_BREAKS``.
"""


from .accuracy import agreement, classification_accuracy
from .activity import (
    activation_sparsity,
    activation_sparsity_by_layer,
    membrane_updates,
    neuron_operations,
    spike_density,
    spikes_per_neuron,
    synaptic_operations,
)
from .checks import TIE_BREAKS, UNDECIDED, TieBreak
from .decode import predict, predict_from_counts
from .delay import pad_input, zero_delay_record
from .footprint import BYTES_FLOAT32, connection_sparsity, footprint, parameter_count
from .harness import CONVENTIONS, NEUROBENCH_VERSION, Convention
from .latency import DecisionLatency, accuracy_vs_steps, first_output_latency, latency_to_decision
from .table import (
    ann_metrics,
    async_metrics,
    clock_metrics,
    neurobench_display,
    neurobench_json,
    neurobench_table,
    static_metrics,
    tensor_metrics,
)
from .readout import (
    ReadoutKind,
    decode_outputs,
    layer_rates,
    output_charge,
    predict_outputs,
    task_decisions,
)
from .summary import json_metrics, summary

__all__ = [
    "ann_metrics",
    "async_metrics",
    "clock_metrics",
    "neurobench_display",
    "neurobench_json",
    "neurobench_table",
    "static_metrics",
    "tensor_metrics",
    "ReadoutKind",
    "decode_outputs",
    "layer_rates",
    "output_charge",
    "predict_outputs",
    "task_decisions",
    "BYTES_FLOAT32",
    "CONVENTIONS",
    "Convention",
    "NEUROBENCH_VERSION",
    "activation_sparsity_by_layer",
    "neuron_operations",
    "pad_input",
    "zero_delay_record",
    "DecisionLatency",
    "TIE_BREAKS",
    "TieBreak",
    "UNDECIDED",
    "accuracy_vs_steps",
    "activation_sparsity",
    "agreement",
    "classification_accuracy",
    "connection_sparsity",
    "first_output_latency",
    "footprint",
    "json_metrics",
    "latency_to_decision",
    "membrane_updates",
    "parameter_count",
    "predict",
    "predict_from_counts",
    "spike_density",
    "spikes_per_neuron",
    "summary",
    "synaptic_operations",
]
