"""Brian2 keeps global state (preferences, default clock, device, magic network): back it up
before and restore it after every test, as Brian2's own test suite does, so that no test sees
settings another one left behind."""

from __future__ import annotations

import warnings

import pytest


@pytest.fixture(autouse=True)
def _brian2_clean_state():
    try:
        with warnings.catch_warnings():  # Brian2 2.9 uses pyparsing's deprecated camelCase API
            warnings.filterwarnings("ignore", "'parseAll' argument is deprecated", DeprecationWarning)
            import brian2
            from brian2.devices.device import set_device
    except ImportError:  # tests that need Brian2 skip themselves
        yield
        return
    brian2.prefs._backup()
    yield
    brian2.prefs._restore()
    brian2.defaultclock.dt = 0.1 * brian2.ms
    set_device("runtime")
    brian2.start_scope()  # forget objects a test may have left for the magic network
