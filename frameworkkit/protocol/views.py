"""Whole-message views of decoded events, built only when user code asks for them.

The typed records of :mod:`frameworkkit.protocol.messages` carry only what frameworkkit reads. When
user code wants everything Mesos sent (any field, modelled or not), it calls ``event.raw_view()``:
the event's frame is decoded once into an ``addict.Dict`` and the same object is returned on every
later call. Nothing on the hot path touches this module's work.
"""

from __future__ import annotations

from typing import cast

import addict
import msgspec


class EventView:
    """Mixin for decoded events: keeps the frame they came from and views it on demand.

    The class it is mixed into must be a ``msgspec.Struct`` declared with ``dict=True``, which
    gives each event a place for its frame and its cached view.
    """

    __slots__ = ()

    def keep_frame(self, frame: bytes) -> None:
        """Remember the exact bytes this event was decoded from (the codec calls this)."""
        self.__dict__["_frame"] = frame

    @property
    def raw(self) -> bytes:
        """The JSON bytes of this event: the received frame, or its encoding if built in code."""
        frame = self.__dict__.get("_frame")
        if frame is None:
            frame = msgspec.json.encode(self)
            self.keep_frame(frame)
        return cast(bytes, frame)

    def raw_view(self) -> addict.Dict:
        """The whole event as an ``addict.Dict`` (attribute access, every field Mesos sent).

        Built on the first call and cached: later calls return the same object, so changes made
        to it stay visible.
        """
        view = self.__dict__.get("_view")
        if view is None:
            view = addict.Dict(msgspec.json.decode(self.raw))
            self.__dict__["_view"] = view
        return cast(addict.Dict, view)
