"""Model types whose classes an installed package registers with transformers (not remote code).

GPN's config.json says `"model_type": "GPN"`; transformers knows that type only after the `gpn` package has
registered it (`gpn.register_auto_classes()` in gpn >= 0.9, `import gpn.model` before). No version of
transformers has the classes itself.
Detected by: the folder's config.json naming a model type that the package provides and transformers lacks.
Repair: the package's registration is run; where the package is not installed, one line says how to install it.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from ...errors import ModelError
from . import RepairLog

# model_type -> (package, how to install it, how to register)
PROVIDERS = {
    "GPN": "gpn", "ConvNet": "gpn", "GPNRoFormer": "gpn", "GPNStar": "gpn",
}
VERSIONS = "any (transformers never had it)"
_REGISTERED: set[str] = set()
INSTALL = {"gpn": "pip install 'dnalens[gpn]' (the gpn package, Python >= 3.11)"}


def _model_type(folder: Path | None) -> str | None:
    try:
        return json.loads((Path(folder) / "config.json").read_text()).get("model_type")
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def register(folder: Path | None, log: RepairLog) -> None:
    from transformers import CONFIG_MAPPING

    model_type = _model_type(folder) if folder is not None else None
    package = PROVIDERS.get(model_type or "")
    if package is None:
        return
    message = f"model type '{model_type}' registered by the installed {package} package"
    if model_type in CONFIG_MAPPING:
        if model_type in _REGISTERED:  # by an earlier load in this process
            log.add("package-registration", message, VERSIONS)
        return
    try:
        module = importlib.import_module(package)
        if hasattr(module, "register_auto_classes"):
            module.register_auto_classes("gpn")
        else:
            importlib.import_module(f"{package}.model")  # older gpn registers on import
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != package:
            raise ModelError(f"model type '{model_type}' comes from the {package} package, which needs the Python "
                             f"package '{error.name}': pip install {error.name}") from None
        raise ModelError(f"model type '{model_type}' comes from the {package} package, which is not installed: "
                         f"{INSTALL[package]}") from None
    _REGISTERED.add(model_type)
    log.add("package-registration", message, VERSIONS)
