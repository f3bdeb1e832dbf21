"""pymesos-compatible names, so a scheduler written for pymesos runs on frameworkkit unchanged.

Change ``from pymesos import ...`` to ``from frameworkkit.compat import ...``::

    from frameworkkit.compat import MesosSchedulerDriver, Scheduler, decode_data, encode_data

The driver keeps pymesos's method names, arguments and callbacks; where it behaves differently
(``abort()``, errors, callbacks that raise) ``docs/migrating-from-pymesos.md`` says how. New code
is better served by :class:`frameworkkit.scheduler.Framework`.
"""

from .data import decode_data, encode_data
from .interface import Message, Scheduler
from .scheduler_driver import MesosSchedulerDriver
from .status import DriverStatus

__all__ = [
    "DriverStatus",
    "MesosSchedulerDriver",
    "Message",
    "Scheduler",
    "decode_data",
    "encode_data",
]
