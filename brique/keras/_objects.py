"""What regularizers, constraints, initializers and schedules share: Keras's `get(identifier)`
(a name, a {class_name, config} dict, a class, an object or a function) and
`serialize`/`deserialize` as {class_name, config}, so that get_config() stays JSON."""
from __future__ import annotations

import inspect
import re


def snake(name):
    """'L1L2' -> 'l1_l2', 'MaxNorm' -> 'max_norm' (Keras's lower-case aliases)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


class KerasObject:
    """The base of regularizers, constraints and initializers: an object rebuilt from its
    get_config() (constructor arguments; none here) and printed with them."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def serialize(obj):
    """{class_name, config} of an object with get_config(); a string or None as it is; a
    function by its name."""
    if obj is None or isinstance(obj, (str, dict)):  # a dict: serialized already
        return obj
    if hasattr(obj, "get_config") and not inspect.isclass(obj):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return getattr(obj, "__name__", None)


def _custom(name):
    from .saving import _lookup  # custom_objects / register_keras_serializable
    return _lookup(name)


def deserialize(config, table, what, custom_objects=None):
    """The object that serialize() described; classes come from `table` (name -> class),
    custom_objects or the registered custom objects."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{what}: expected a dict {{'class_name': ..., 'config': {{...}}}}, "
                         f"got {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or table.get(name) or _custom(name)
    if cls is None:
        raise ValueError(f"{what}: unknown class {name!r}; expected one of "
                         f"{sorted(k for k in table if k[0].isupper())} or a custom object")
    options = config.get("config") or {}
    return cls.from_config(options) if hasattr(cls, "from_config") else cls(**options)


def get(identifier, table, what):
    """Keras's get(): None, an object or function (as it is), a class (instantiated with its
    defaults), a name from `table` or a {class_name, config} dict."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier, table, what)
    if isinstance(identifier, str):
        if identifier in table:  # a class or a factory: its defaults (Keras 2's 'l2' is 0.01)
            return table[identifier]()
        found = _custom(identifier)
        if found is None:
            raise ValueError(f"unknown {what} {identifier!r}; expected one of {sorted(table)}, "
                             "a dict {'class_name', 'config'} or a callable")
        identifier = found
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"could not interpret {what} identifier {identifier!r}: expected a name, "
                     "a dict {'class_name', 'config'} or a callable")


def table(*classes, **aliases):
    """{ClassName: cls, snake_name: cls, **aliases}."""
    out = {}
    for cls in classes:
        out[cls.__name__] = cls
        out[snake(cls.__name__)] = cls
    out.update(aliases)
    return out
