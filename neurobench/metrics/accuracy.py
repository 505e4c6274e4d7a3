"""Accuracy of decisions against labels, and agreement between two models' decisions."""

from __future__ import annotations

import numpy as np

from .checks import UNDECIDED, class_indices, same_shape

__all__ = ["agreement", "classification_accuracy"]


def classification_accuracy(predictions, labels) -> float:
    """Fraction of samples whose predicted class equals the label.

    ``accuracy = (1/B) * sum_i [pred_i == label_i]``, dimensionless in [0, 1]. Undecided
    predictions (-1) never equal a label (labels must be >= 0), so they count as wrong.

    The formula is NeuroBench's; the two conventions differ only in the decisions they are
    given: ``predict(record)`` leaves a silent sample undecided (wrong) and breaks ties by the
    first spike, ``predict(record, convention="neurobench")`` gives NeuroBench's argmax (class 0
    for a silent sample, the lowest index on a tie), whose accuracy is NeuroBench's
    ``ClassificationAccuracy``.

    Source: NeuroBench ``neurobench/metrics/workload/classification_accuracy.py``
    (``ClassificationAccuracy``: ``mean(preds == labels)``, with the shape check of
    ``metrics/utils/decorators/check_shape.py``).
    """
    pred = class_indices("predictions", predictions)
    lab = class_indices("labels", labels)
    same_shape("predictions", pred, "labels", lab)
    if np.any(lab < 0):
        raise ValueError("labels must be class indices >= 0")
    return float(np.mean(pred == lab))


def agreement(pred_a, pred_b, count_undecided: bool = False) -> float:
    """Fraction of samples on which two models decide the same class.

    ``agreement = (1/B) * sum_i [a_i == b_i and a_i != -1]``, dimensionless in [0, 1]: a sample
    where both models are undecided is not a shared decision, so it counts as a disagreement
    unless ``count_undecided=True`` (then it is ``mean(a == b)``). Not a NeuroBench metric;
    used to compare simulators or a converted SNN with its source ANN.
    """
    a = class_indices("pred_a", pred_a)
    b = class_indices("pred_b", pred_b)
    same_shape("pred_a", a, "pred_b", b)
    same = a == b
    if not count_undecided:
        same &= a != UNDECIDED
    return float(np.mean(same))
