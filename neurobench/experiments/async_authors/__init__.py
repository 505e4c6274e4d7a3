"""The ``async_authors`` stage: the asynchronous-execution study of ``neurobench.experiments.asynchronous``
trained as the authors' public code trains (Koopman et al. 2024, asynctorch's example), beside
our default setting. ``params``: the section (only what differs from ``asynchronous``);
``setting``: merging it into the study's section and comparing the two claims tables."""
