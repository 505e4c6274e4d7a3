"""The conversion study (Mern et al.'s layer-wise LPs, reconstructed): its params section and stages.

``params``  the ``conversion`` section of ``params.yaml`` (``ConversionSection``, ``load``);
``models``  model folders, fingerprints, data splits;
``entries`` the conversions and their ``conversion.json`` entries;
``train``, ``convert``  the DVC stage commands; ``stages.ensure_models`` builds what is stale;
``evaluate`` per-entry evaluation; ``tables`` the report's tables; ``claims`` the targets table.
"""
