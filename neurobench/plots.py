"""Small seaborn/matplotlib figures shared by the notebooks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def image_grid(images: np.ndarray, labels=None, ncols: int = 8, cmap: str = "gray_r", title: str | None = None):
    """Show images (n, H, W) or (n, 1, H, W) in a grid with optional labels; return the figure."""
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[:, 0]
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.4 * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(images[k], cmap=cmap)
            if labels is not None:
                ax.set_title(str(labels[k]), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def raster(ax, spikes: np.ndarray, dt: float = 1.0, color: str = "k", label: str | None = None, size: float = 2.0):
    """Dot raster of a (n_steps, n_neurons) spike array on ``ax``, time in ms."""
    steps, neurons = np.nonzero(np.asarray(spikes))
    ax.scatter(steps * dt, neurons, s=size, c=color, marker="|" if size > 3 else ".", linewidths=0.8, label=label)
    ax.set_xlim(0, spikes.shape[0] * dt)
    ax.set_ylim(-0.5, spikes.shape[1] - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    return ax


def remove_empty_axes(axes) -> int:
    """Remove from their figure the axes of ``axes`` (an array or list) that show nothing (no
    lines, patches, images or collections), so a grid of subplots has no empty panels; return how
    many were removed."""
    removed = 0
    for ax in np.ravel(axes):
        if not ax.has_data():
            ax.figure.delaxes(ax)
            removed += 1
    return removed
