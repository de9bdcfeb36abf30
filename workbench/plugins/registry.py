"""Finding experiments: built-ins, installed packages (entry points) and plugin folders.

Discovery never raises because of a plugin: a module that fails to import, or two experiments
with the same name, become :class:`PluginFailure` records (with the traceback) and the rest of
the registry works. Runners report failures the same way when a plugin fails to build or step.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import pkgutil
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Iterable

from .api import Experiment

ENTRY_POINT_GROUP = "workbench.plugins"
USER_DIR_ENV = "WORKBENCH_USER_PLUGINS"


def user_plugin_dir() -> Path:
    """The per-user plugin folder (``$WORKBENCH_USER_PLUGINS`` overrides platformdirs' choice)."""
    override = os.environ.get(USER_DIR_ENV)
    if override is not None:
        return Path(override)
    import platformdirs  # noqa: PLC0415 - only needed here

    return Path(platformdirs.user_data_dir("htm-workbench")) / "plugins"


@dataclass(frozen=True)
class PluginInfo:
    """A discovered experiment class and where it came from."""

    name: str
    cls: type[Experiment]
    source: str

    @property
    def title(self) -> str:
        return self.cls.title or self.name

    @property
    def description(self) -> str:
        return self.cls.description


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be used, at which stage, and why."""

    source: str
    stage: str  # import, register, build, step
    message: str
    details: str = ""

    def __str__(self) -> str:
        return f"{self.source}: {self.stage} failed: {self.message}"


def failure_from_exception(source: str, stage: str, exc: BaseException) -> PluginFailure:
    """A failure record carrying the exception's message and full traceback."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return PluginFailure(source, stage, f"{type(exc).__name__}: {exc}", details)


def experiments_in(module: ModuleType) -> list[type[Experiment]]:
    """Concrete Experiment subclasses defined in ``module`` that have a name."""
    found = []
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if (issubclass(obj, Experiment) and obj.__module__ == module.__name__ and obj.name
                and not inspect.isabstract(obj)):
            found.append(obj)
    return found


@dataclass
class Registry:
    """Every experiment found, by name, plus the failures met on the way."""

    experiments: dict[str, PluginInfo] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)

    @classmethod
    def discover(cls, plugin_dirs: Iterable[str | Path] = (), entry_points: bool = True,
                 user_dir: bool = True) -> "Registry":
        """Built-ins, then entry points, then each plugin folder (the user's folder last)."""
        reg = cls()
        reg._add_builtins()
        if entry_points:
            reg._add_entry_points()
        dirs = [Path(d) for d in plugin_dirs]
        if user_dir:
            dirs.append(user_plugin_dir())
        for d in dirs:
            reg.add_folder(d, required=d in [Path(p) for p in plugin_dirs])
        return reg

    # -- lookup ------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted(self.experiments)

    def get(self, name: str) -> PluginInfo:
        info = self.experiments.get(name)
        if info is None:
            raise KeyError(f"unknown experiment {name!r}; available: {', '.join(self.names()) or 'none'}")
        return info

    def create(self, name: str) -> Experiment:
        return self.get(name).cls()

    # -- sources -----------------------------------------------------------------------------
    def add_class(self, cls: type[Experiment], source: str) -> None:
        """Register one class; a second experiment of the same name is refused, naming both."""
        existing = self.experiments.get(cls.name)
        if existing is not None and existing.cls is not cls:
            self.failures.append(PluginFailure(
                source, "register",
                f"experiment name {cls.name!r} is already taken by {existing.source}; "
                f"rename one of them (this one, from {source}, is disabled)"))
            return
        self.experiments[cls.name] = PluginInfo(cls.name, cls, source)

    def add_module(self, module: ModuleType, source: str) -> None:
        classes = experiments_in(module)
        if not classes:
            self.failures.append(PluginFailure(source, "import", "defines no Experiment subclass with a name"))
        for c in classes:
            self.add_class(c, source)

    def _add_builtins(self) -> None:
        from . import builtin  # noqa: PLC0415

        for mod in pkgutil.iter_modules(builtin.__path__):
            if mod.name.startswith("_"):
                continue
            source = f"built-in {builtin.__name__}.{mod.name}"
            try:
                module = importlib.import_module(f"{builtin.__name__}.{mod.name}")
            except Exception as exc:
                self.failures.append(failure_from_exception(source, "import", exc))
                continue
            for c in experiments_in(module):
                self.add_class(c, source)

    def _add_entry_points(self) -> None:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            source = f"entry point {ep.name} = {ep.value} ({ep.dist.name if ep.dist else '?'})"
            try:
                obj = ep.load()
            except Exception as exc:
                self.failures.append(failure_from_exception(source, "import", exc))
                continue
            if inspect.isclass(obj) and issubclass(obj, Experiment):
                self.add_class(obj, source)
            elif inspect.ismodule(obj):
                self.add_module(obj, source)
            else:
                self.failures.append(PluginFailure(
                    source, "import", f"points to {obj!r}, not an Experiment subclass or a module"))

    def add_folder(self, folder: Path, required: bool = False) -> None:
        """Import every ``*.py`` in ``folder`` (a missing user folder is fine; a missing
        folder given with ``--plugins`` is reported)."""
        if not folder.is_dir():
            if required:
                self.failures.append(PluginFailure(str(folder), "import", "plugin folder not found"))
            return
        for path in sorted(folder.glob("*.py")):
            source = f"file {path}"
            module_name = f"workbench_user_plugins.{path.stem}"
            try:
                spec = importlib.util.spec_from_file_location(module_name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                spec.loader.exec_module(module)
            except Exception as exc:
                sys.modules.pop(module_name, None)
                self.failures.append(failure_from_exception(source, "import", exc))
                continue
            self.add_module(module, source)
