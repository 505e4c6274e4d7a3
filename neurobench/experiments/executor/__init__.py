"""The ``executor`` section of ``params.yaml``: where every stage's independent tasks run.

Not a stage: a runtime setting read by the stages that fan out (``neurobench.executor``). Its
results are identical for every setting by the executor's purity contract, so no stage lists it
under ``params:`` in ``dvc.yaml`` (``neurobench.config.RUNTIME_SECTIONS``): changing it never
makes DVC rerun a stage.
"""
