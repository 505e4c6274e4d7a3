"""Network access for downloads: one short timeout so that no request can hang."""

from __future__ import annotations

import socket
from contextlib import contextmanager

TIMEOUT_S = 10.0  # seconds per socket operation (connect, each read)


@contextmanager
def socket_timeout(seconds: float = TIMEOUT_S):
    """Temporarily set the process-wide default socket timeout.

    For libraries (tonic, torchvision) that call ``urlopen`` without a timeout; the previous
    default is restored on exit.
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
