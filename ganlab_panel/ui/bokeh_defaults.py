"""Bokeh's property defaults, looked up once per class instead of at every read.

A Bokeh model stores only the properties set on it; reading any other one
(Bokeh does, for every property, when it builds a model and again when it
serialises it) computes the default anew: it merges the class's overridden
defaults over its whole ancestry into a fresh dict, copies the default,
validates it, asks whether it is one that must be stored per instance, and
asks for the instance's theme values through an attribute lookup that fails
with an exception each time. A page of the lab is ~360 models and ~24,000 such
reads: a fifth of the server's time to open a session.

The answers depend on the class alone, so they are kept per class here:

- a class's merged overridden defaults (its ancestry is fixed when it is made);
- whether a property's default must be stored per instance;
- a property's default itself, where it comes out as an immutable value (None,
  a bool, a number, a string or a tuple of those) and is neither made by a
  function nor replaced by a theme. Anything else (lists, dicts, models,
  theme values) is computed as Bokeh computes it, every time;
- an instance's theme values read from its ``__dict__``, where Bokeh keeps them.

Models and documents come out exactly as Bokeh makes them (a test compares
every model class's values with Bokeh's own lookups). This reaches into
Bokeh's ``HasProps``, ``Property`` and ``PropertyDescriptor`` (one of the
modules ``ui/document.py`` names); where they are not as expected, Bokeh's own
lookups stay.
"""

from __future__ import annotations

import types

from bokeh.core.has_props import HasProps
from bokeh.core.property.bases import Property
from bokeh.core.property.descriptors import PropertyDescriptor
from bokeh.core.property.primitive import Int

_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes)

_bokehs = {
    "overridden_defaults": HasProps._overridden_defaults.__func__,
    "themed_values": HasProps.themed_values,
    "themed_default": Property.themed_default,
    "has_unstable_default": PropertyDescriptor.has_unstable_default,
}

_overridden: dict[type, types.MappingProxyType] = {}
_unstable: dict[tuple[PropertyDescriptor, type], bool] = {}
#: (id of the Property, class, name, no_eval) -> (the Property, its default)
_defaults: dict[tuple, tuple] = {}


def _immutable(value) -> bool:
    if isinstance(value, tuple):
        return all(_immutable(item) for item in value)
    return isinstance(value, _IMMUTABLE)


def _overridden_defaults(cls) -> types.MappingProxyType:
    """``HasProps._overridden_defaults``, merged once per class (read-only)."""
    merged = _overridden.get(cls)
    if merged is None:
        merged = _overridden[cls] = types.MappingProxyType(_bokehs["overridden_defaults"](cls))
    return merged


def _themed_values(self):
    """``HasProps.themed_values``, without a failed attribute lookup when there are none."""
    return self.__dict__.get("__themed_values__")


def _themed_default(self, cls, name, theme_overrides, *, no_eval=False):
    """``Property.themed_default``, kept per class where it is immutable and no theme sets it."""
    if theme_overrides is not None and name in theme_overrides:
        return _bokehs["themed_default"](self, cls, name, theme_overrides, no_eval=no_eval)
    key = (id(self), cls, name, no_eval)
    kept = _defaults.get(key)
    if kept is not None and kept[0] is self:
        return kept[1]
    value = _bokehs["themed_default"](self, cls, name, theme_overrides, no_eval=no_eval)
    made_by_function = callable(self._default) or PropertyDescriptor.is_unstable(_overridden_defaults(cls).get(name))
    if not made_by_function and _immutable(value):
        _defaults[key] = (self, value)
    return value


def _has_unstable_default(self, obj) -> bool:
    """``PropertyDescriptor.has_unstable_default``, once per descriptor and class."""
    key = (self, type(obj))
    answer = _unstable.get(key)
    if answer is None:
        answer = _unstable[key] = _bokehs["has_unstable_default"](self, obj)
    return answer


def _expected() -> bool:
    return (callable(getattr(Property, "_copy_default", None)) and hasattr(Int(), "_default")
            and callable(getattr(PropertyDescriptor, "is_unstable", None))
            and "__dict__" in dir(HasProps))


def install() -> None:
    """Keep Bokeh's property defaults per class (what importing this module does)."""
    if not _expected():
        return
    HasProps._overridden_defaults = classmethod(_overridden_defaults)
    HasProps.themed_values = _themed_values
    Property.themed_default = _themed_default
    PropertyDescriptor.has_unstable_default = _has_unstable_default


def uninstall() -> None:
    """Bokeh's own lookups again (for comparing the two)."""
    HasProps._overridden_defaults = classmethod(_bokehs["overridden_defaults"])
    HasProps.themed_values = _bokehs["themed_values"]
    Property.themed_default = _bokehs["themed_default"]
    PropertyDescriptor.has_unstable_default = _bokehs["has_unstable_default"]
    _overridden.clear()
    _unstable.clear()
    _defaults.clear()


def installed() -> bool:
    return Property.themed_default is _themed_default


install()
