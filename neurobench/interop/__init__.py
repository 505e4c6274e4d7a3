"""Exchange with other tools: NIR graphs (:mod:`neurobench.interop.nir`)."""
