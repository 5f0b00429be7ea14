"""Configuration attributes that transformers 4 defined on every `PretrainedConfig` and 5 no longer does.

Breakage (transformers >= 5.0): model code written for 4.x reads `config.is_decoder`, `config.pad_token_id`,
`config.add_cross_attention`, … and fails with AttributeError when the model's config.json does not spell them
out (DNABERT-2's published config.json, for one).
Detected by: the model's own code reading `config.NAME` (or `self.NAME` in its configuration class) while the
loaded configuration object has no such attribute.
Repair: the attribute is set on that object (not on the class, not in the file) to transformers 4's default.
"""

from __future__ import annotations

import inspect
import re
import sys

from . import RepairLog, is_foreign

VERSIONS = "transformers >= 5.0"
# transformers 4.x PretrainedConfig.__init__ defaults that 5.x dropped.
V4_DEFAULTS = {
    "is_decoder": False,
    "add_cross_attention": False,
    "cross_attention_hidden_size": None,
    "tie_encoder_decoder": False,
    "tie_word_embeddings": True,
    "pad_token_id": None,
    "bos_token_id": None,
    "eos_token_id": None,
    "sep_token_id": None,
    "decoder_start_token_id": None,
    "pruned_heads": {},
    "torchscript": False,
}


def _read_by_code(cls: type, config) -> set[str]:
    names: set[str] = set()
    for owner in {cls.__module__, type(config).__module__}:
        module = sys.modules.get(owner)
        try:
            source = inspect.getsource(module) if module is not None else ""
        except (OSError, TypeError):
            continue
        names.update(re.findall(r"\bconfig\.(\w+)", source))
        names.update(re.findall(r"\bself\.(\w+)", source) if module is sys.modules.get(type(config).__module__)
                     else ())
    return names


def apply(cls: type, config, log: RepairLog) -> None:
    if not is_foreign(config) and not is_foreign(cls):
        return
    read = _read_by_code(cls, config)
    added = []
    for name, value in V4_DEFAULTS.items():
        if name not in read:
            continue
        try:
            getattr(config, name)
        except AttributeError:
            setattr(config, name, value.copy() if isinstance(value, dict) else value)
            added.append(f"{name}={value!r}")
    if added:
        log.add("config-defaults", "the model's code reads configuration attributes that transformers 5 no longer "
                "defines: set to transformers 4's defaults: " + ", ".join(added), VERSIONS)
