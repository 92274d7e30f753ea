"""Loading a user's policy class named ``"module:Class"`` in a scenario file, and checking it.

A scenario file that names ``module:Class`` runs code: the module's top-level statements run
when it is imported, and the class is built with the scenario's parameters.  So the rules are
narrow and stated in the README ("Scenario files can run code"):

- The module is a ``.py`` file in the folder of the scenario file that names the policy, or in
  a folder below it (``pkg.mod:Class`` is ``pkg/mod.py``).  Nothing is imported through
  ``sys.path``: not the standard library, not site-packages, not the current directory.  A
  path that leaves that folder (``..``, a symbolic link pointing out) is refused.
- The class must be defined in that file (not imported into it from elsewhere).
- Modules are cached by their resolved path, so two scenarios in different folders with a
  ``mypol.py`` each run their own code.
- :func:`check_class` checks the methods and the constructor's signature with ``inspect``
  before anything is built, so ``fulfill validate`` reports a misfit without constructing it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["USER_POLICY_PREFIX", "check_class", "is_class_spec", "load_class", "policy_file"]

USER_POLICY_PREFIX = "fulfill_user_policy_"
"""Module names of users' policy files start with this (an error in one is reported as such)."""

_MODULES: dict[Path, ModuleType] = {}


def is_class_spec(spec: str) -> bool:
    """True for ``module:Class`` (a user's class), False for a built-in policy name."""
    return ":" in spec


def _split(spec: str) -> tuple[list[str], str]:
    module, _, cls = spec.partition(":")
    parts = module.split(".")
    if not module or not cls or not all(p.isidentifier() for p in parts) \
            or not cls.isidentifier():
        raise ValueError(f"'{spec}' is not of the form 'module:Class' (module and class names "
                         "are Python identifiers; 'pkg.module:Class' means pkg/module.py)")
    return parts, cls


def policy_file(spec: str, base_dir: Path) -> Path:
    """The ``.py`` file that ``spec`` names, below ``base_dir``.

    Raises
    ------
    ValueError
        If the spec is malformed, the file does not exist, or it lies outside ``base_dir``.
    """
    parts, _ = _split(spec)
    root = base_dir.resolve()
    path = root.joinpath(*parts[:-1], parts[-1] + ".py")
    if not path.is_file():
        raise ValueError(
            f"no file {path.relative_to(root)} in {root} (the folder of the scenario file "
            f"that names '{spec}'): user policies are loaded only from .py files in that "
            "folder or below it, never from installed packages or the current directory")
    real = path.resolve()
    if not real.is_relative_to(root):
        raise ValueError(f"{path} points outside {root} (to {real}): user policies are "
                         "loaded only from files inside the scenario's folder")
    return real


def _import(path: Path) -> ModuleType:
    """Import ``path`` as a module of its own (cached by path), not through ``sys.path``."""
    if path in _MODULES:
        return _MODULES[path]
    tag = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    name = f"{USER_POLICY_PREFIX}{tag}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
        raise ValueError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        if not isinstance(exc, Exception | SystemExit):  # Ctrl-C stays an interruption
            raise
        where = _where(exc, path)
        raise ValueError(f"error while importing {path}{where}: "
                         f"{type(exc).__name__}: {exc}") from None
    _MODULES[path] = module
    return module


def _where(exc: BaseException, path: Path) -> str:
    """`` (line N)`` of the deepest frame of the traceback that is in ``path``."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None and isinstance(exc, SyntaxError) and exc.lineno:
        line = exc.lineno
    return f" (line {line})" if line else ""


def load_class(spec: str, base_dir: Path) -> type:
    """Import the class ``spec`` (``module:Class``) from its file below ``base_dir``.

    Raises
    ------
    ValueError
        With a message for the user: malformed spec, no such file, import error, no such class,
        or a class imported into the file rather than defined in it.
    """
    path = policy_file(spec, base_dir)
    _, cls_name = _split(spec)
    module = _import(path)
    cls = getattr(module, cls_name, None)
    if cls is None or not inspect.isclass(cls):
        raise ValueError(f"{path} defines no class '{cls_name}'")
    if cls.__module__ != module.__name__:
        raise ValueError(f"class '{cls_name}' is not defined in {path} (it is imported "
                         f"there from {cls.__module__}); name the file that defines it")
    return cls


def _fits(func: Callable[..., Any], n_args: int) -> bool:
    """Whether ``func`` (an unbound method) can be called with self and ``n_args`` positional
    arguments."""
    try:
        inspect.signature(func).bind(*([None] * (n_args + 1)))
    except TypeError:
        return False
    except ValueError:  # no signature to read (a builtin): assume it fits
        return True
    return True


def check_class(cls: type, spec: str, methods: Mapping[str, Sequence[str]],
                args: Mapping[str, Any]) -> None:
    """Check, without building it, that ``cls`` has each of ``methods`` (name -> argument
    names, after self) and that its constructor accepts the keyword arguments ``args``.

    Raises
    ------
    ValueError
        Naming the missing method or the parameter the constructor does not accept.
    """
    for name, arg_names in methods.items():
        func = getattr(cls, name, None)
        shown = f"{name}({', '.join(arg_names)})"
        if not callable(func):
            raise ValueError(f"policy '{spec}' has no method {shown}")
        if not _fits(func, len(arg_names)):
            raise ValueError(f"policy '{spec}': method {name} cannot be called as {shown}: "
                             f"its signature is {name}{inspect.signature(func)}")
    try:
        inspect.signature(cls).bind(**args)
    except TypeError as exc:
        given = ", ".join(args) or "none"
        raise ValueError(f"policy '{spec}' cannot be built with the parameters given "
                         f"({given}): {exc}") from None
    except ValueError:  # pragma: no cover - a class without a readable signature
        pass
