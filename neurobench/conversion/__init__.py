"""ANN-to-SNN conversion by per-layer constrained least-error problems (Mern et al., reconstructed).

``Converter`` (the estimator), the chip constraint families (``Analog``, ``Digital``,
``Hybrid``), the per-neuron and per-layer HiGHS solvers, the data-based normalisation
baseline (``neurobench.conversion.normalize``) and the evaluation of converted networks from
explicit simulation settings (``neurobench.conversion.evaluation``). The conversion study's
stages and report live in ``neurobench.experiments.conversion``.
"""

from .constraints import Analog, ChipConstraints, Digital, Hybrid, digital_scale
from .convert import Converter, LayerReport
from .layer import LayerSolution, NeuronOptions, PoolOptions, solve_layer
from .problem import ConversionInfeasible
from .solve import NeuronSolution, solve_neuron

__all__ = [
    "Analog", "ChipConstraints", "ConversionInfeasible", "Converter", "Digital", "Hybrid", "LayerReport",
    "LayerSolution", "NeuronOptions", "NeuronSolution", "PoolOptions", "digital_scale", "solve_layer",
    "solve_neuron",
]
