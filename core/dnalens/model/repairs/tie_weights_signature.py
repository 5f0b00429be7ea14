"""`tie_weights()` overridden with transformers 4's signature.

Breakage (transformers >= 5.0, which calls `model.tie_weights(missing_keys=…, recompute_mapping=…)` while
loading): Caduceus overrides `tie_weights(self)` with no parameters, so loading fails with a TypeError.
Detected by: the model class (or a base in its own code) defines `tie_weights` that accepts neither extra
parameters nor **kwargs.
Repair: the override is wrapped to accept and ignore the new arguments and run as written (what transformers 4
called). Ties that transformers 5 no longer makes are then restored by the `weight-ties` repair.
"""

from __future__ import annotations

import functools
import inspect

from . import RepairLog, is_foreign

VERSIONS = "transformers >= 5.0"


def apply(cls: type, log: RepairLog) -> None:
    for owner in cls.__mro__:
        method = owner.__dict__.get("tie_weights")
        if method is None or not is_foreign(owner):
            continue
        message = (f"{owner.__name__}.tie_weights() takes no arguments, and this transformers passes some: they "
                   "are accepted and ignored")
        if getattr(method, "_dnalens_repaired", False):  # repaired by an earlier load in this process
            log.add("tie-weights-signature", message, VERSIONS)
            continue
        parameters = inspect.signature(method).parameters.values()
        if any(p.kind == p.VAR_KEYWORD for p in parameters) or len(parameters) > 1:
            continue

        @functools.wraps(method)
        def tie_weights(self, *args, _method=method, **kwargs):
            return _method(self)

        tie_weights._dnalens_repaired = True
        owner.tie_weights = tie_weights
        log.add("tie-weights-signature", message, VERSIONS)
