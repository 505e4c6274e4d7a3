"""ANN-to-SNN conversion by per-layer constrained least-error problems (Mern et al., reconstructed).

``Converter`` (the estimator), the chip constraint families (``Analog``, ``Digital``,
``Hybrid``), the per-neuron and per-layer HiGHS solvers, and the data-based normalisation
baseline (``neurobench.conversion.normalize``).
"""

from .constraints import Analog, Digital, Hybrid, constraints_from_dict, digital_scale
from .convert import Converter, LayerReport
from .problem import ConversionInfeasible
from .solve import LayerSolution, NeuronSolution, solve_layer, solve_neuron

__all__ = [
    "Analog", "ConversionInfeasible", "Converter", "Digital", "Hybrid", "LayerReport",
    "LayerSolution", "NeuronSolution", "constraints_from_dict", "digital_scale", "solve_layer",
    "solve_neuron",
]
