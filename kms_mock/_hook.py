"""Putting kms_mock into botocore the moment botocore is loaded, and not before.

A botocore session copies botocore's built-in handler list when it is made,
so kms_mock's handlers must be in that list before the first session exists:
a client created at import time must be served too. Importing botocore only
to get there first would cost every pytest run that loads the plugin (and
never touches KMS) a tenth of a second or more. So importing kms_mock installs
the hook at once only if botocore is already loaded; otherwise it leaves a
finder on ``sys.meta_path`` that installs it right after ``botocore.session``
(and ``aiobotocore.session``, for the async clients) has been imported, if
that ever happens.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

# Module to watch -> kms_mock module whose import installs the hook for it.
INSTALLERS = {
    "botocore.session": "kms_mock._interceptor",
    "aiobotocore.session": "kms_mock._aio_interceptor",
}


def install_when_loaded() -> None:
    """Install each hook now if its library is loaded, else as soon as it is."""
    for watched, installer in INSTALLERS.items():
        if watched in sys.modules:
            importlib.import_module(installer)
        elif not any(isinstance(finder, _InstallAfterImport) for finder in sys.meta_path):
            sys.meta_path.insert(0, _InstallAfterImport())


class _InstallAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: lends a watched module a loader that installs after it runs."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        installer = INSTALLERS.get(fullname)
        if installer is None or fullname in sys.modules:
            return None
        spec = _spec_from_the_other_finders(self, fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _ThenInstall(spec.loader, installer)
        return spec


def _spec_from_the_other_finders(
    this: object, fullname: str, path: Sequence[str] | None, target: ModuleType | None
) -> ModuleSpec | None:
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if finder is this or find_spec is None:
            continue
        spec: ModuleSpec | None = find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


class _ThenInstall(importlib.abc.Loader):
    """The watched module's own loader, then the import of its installer."""

    def __init__(self, loader: importlib.abc.Loader, installer: str) -> None:
        self._loader = loader
        self._installer = installer

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        # The module is what it would have been without us from now on.
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        # The import system binds ``botocore.session`` on ``botocore`` only after
        # this returns; the installer reads it through the package.
        parent, _, child = module.__name__.rpartition(".")
        setattr(sys.modules[parent], child, module)
        importlib.import_module(self._installer)

    def __getattr__(self, name: str) -> Any:
        # get_source, get_filename, is_package...: what the real loader says.
        return getattr(self._loader, name)
