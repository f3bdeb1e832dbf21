"""The states a driver reports, numbered as ``Status`` in ``mesos.proto``."""

from __future__ import annotations

import enum

__all__ = ["DriverStatus"]


class DriverStatus(enum.IntEnum):
    """What ``start()``, ``stop()``, ``abort()``, ``join()`` and ``run()`` return.

    ``join()`` returning ``DRIVER_ABORTED`` means the driver ended by ``abort()`` or on its own
    (an error from Mesos, a callback that raised, no master within the timeout).
    """

    DRIVER_NOT_STARTED = 1
    DRIVER_RUNNING = 2
    DRIVER_ABORTED = 3
    DRIVER_STOPPED = 4
