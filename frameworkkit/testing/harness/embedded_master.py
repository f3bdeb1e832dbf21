"""frameworkkit test harness, run by Python 2.7: one real Mesos 1.11 master and N real agents.

Not part of the SDK. ``frameworkkit.testing.embedded`` starts this script with the Mesos runtime's
site directory as its first argument and configures the cluster through ``MESOS_*`` and
``LIBPROCESS_*`` environment variables. The scheduler driver's "local" mode starts the master and
the agents inside this process; the driver's own framework suppresses and declines every offer so
other frameworks get the resources. Written to run on Python 2.7 (the bindings' interpreter).
"""

from __future__ import print_function

import ctypes
import os
import signal
import sys
import time

sys.path.insert(0, sys.argv[1])

from mesos.interface import Scheduler, mesos_pb2
import mesos.scheduler._scheduler as native

_INITIALIZE = (
    "_ZN7process10initializeERK6OptionINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEES9_S9_"
)
_DECLINE_SECONDS = 365 * 24 * 3600.0


class _StdString(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t), ("buf", ctypes.c_char * 16)]


class _OptionString(ctypes.Structure):
    _fields_ = [("state", ctypes.c_int), ("value", _StdString)]


def _option(text):
    """An Option<std::string> (gcc cxx11 ABI): SOME=0 with a short string, NONE=1."""
    opt = _OptionString()
    if text is None:
        opt.state = 1
        return opt
    opt.state = 0
    opt.value.size = len(text)
    opt.value.buf = text.encode("ascii")
    opt.value.data = ctypes.addressof(opt) + _OptionString.value.offset + _StdString.buf.offset
    return opt


def initialize_libprocess_as_master():
    """Make libprocess delegate '/' to the master: /state and /api/v1/* then answer at the root."""
    library = ctypes.CDLL(native.__file__)
    initialize = getattr(library, _INITIALIZE)
    initialize.restype = ctypes.c_bool
    args = [_option("master"), _option(None), _option(None)]
    initialize(*[ctypes.byref(a) for a in args])
    return args  # keep them alive


class QuietScheduler(Scheduler):
    """The driver's own framework: takes nothing, so other frameworks get every offer."""

    def registered(self, driver, framework_id, master_info):
        driver.suppressOffers()
        print("harness framework registered", framework_id.value, file=sys.stderr)

    def resourceOffers(self, driver, offers):
        filters = mesos_pb2.Filters()
        filters.refuse_seconds = _DECLINE_SECONDS
        for offer in offers:
            driver.declineOffer(offer.id, filters)


def main():
    keep = initialize_libprocess_as_master()
    framework = mesos_pb2.FrameworkInfo()
    framework.user = ""
    framework.name = "frameworkkit-harness"
    framework.roles.append("frameworkkit-harness")
    framework.capabilities.add().type = mesos_pb2.FrameworkInfo.Capability.MULTI_ROLE
    driver = native.MesosSchedulerDriverImpl(QuietScheduler(), framework, "local", 1)
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    driver.start()
    parent = int(os.environ.get("FRAMEWORKKIT_HARNESS_PARENT", "0"))
    while not stopping:
        time.sleep(0.2)
        if parent and os.getppid() != parent:
            break  # whoever started us is gone: do not outlive it
    driver.stop()
    del keep
    os._exit(0)


if __name__ == "__main__":
    main()
