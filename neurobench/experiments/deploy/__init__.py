"""The ``deploy`` stage: from a trained network to a chip decision (issue 17), run by
``notebooks/deploy.ipynb``.

* ``chips``: the candidate chips (a tagged union composed of the workbench's parameters);
* ``params``: the ``deploy`` section of ``params.yaml`` (``DeploySection``);
* ``check``: impossible candidates, found from the parameters before any compute;
* ``flow``: the typed steps train -> convert -> simulate -> place -> time/energy -> wear/programming
  -> NIR;
* ``stages``: every candidate over the replicates, the table, Pareto fronts, provenance, sweeps.

Submodules are imported explicitly (``from neurobench.experiments.deploy.flow import ...``).
"""
