"""The fitted estimator inside a learner file: written with skops, read back only through an allow-list.

A learner file comes from a user (a Galaxy history, an e-mail), so its payload is untrusted. skops builds
whatever types the payload names once they are "trusted", and trusting by prefix (`numpy.`, `sklearn.`)
admits functions that run code (`numpy.testing`'s `runstring` inside a `FunctionTransformer`). So every node
of the payload's schema is checked against the exact types and node kinds DNALens itself writes, before
skops builds a single object; anything else is refused.
"""

from __future__ import annotations

import io
import json
import zipfile

from ..errors import InputError

# (module, class) of every object the estimators of `learn/estimators.py` are saved as.
ALLOWED_TYPES = frozenset({
    ("builtins", "dict"), ("builtins", "list"), ("builtins", "tuple"), ("builtins", "str"),
    ("builtins", "int"), ("builtins", "float"), ("builtins", "bool"), ("builtins", "NoneType"),
    ("numpy", "ndarray"), ("numpy", "float64"), ("numpy", "float32"), ("numpy", "int64"), ("numpy", "int32"),
    ("numpy", "bool_"), ("numpy", "str_"),
    ("numpy.random.mtrand", "RandomState"),
    ("sklearn.pipeline", "Pipeline"),
    ("sklearn.preprocessing._data", "StandardScaler"),
    ("sklearn.preprocessing._label", "LabelBinarizer"),
    ("sklearn.linear_model._logistic", "LogisticRegression"),
    ("sklearn.linear_model._ridge", "RidgeCV"),
    ("sklearn.ensemble._forest", "RandomForestClassifier"),
    ("sklearn.ensemble._forest", "RandomForestRegressor"),
    ("sklearn.tree._classes", "DecisionTreeClassifier"),
    ("sklearn.tree._classes", "DecisionTreeRegressor"),
    ("sklearn.tree._tree", "Tree"),
    ("sklearn.neural_network._multilayer_perceptron", "MLPClassifier"),
    ("sklearn.neural_network._multilayer_perceptron", "MLPRegressor"),
    ("sklearn.neural_network._stochastic_optimizers", "AdamOptimizer"),
})
# skops node kinds that only rebuild data or the classes above; FunctionNode, MethodNode, OperatorFuncNode,
# PartialNode, SparseMatrixNode… are not among them.
ALLOWED_LOADERS = frozenset({"DictNode", "ListNode", "TupleNode", "JsonNode", "NdArrayNode", "ObjectNode",
                             "TreeNode", "RandomStateNode", "TypeNode"})
# The schema of the largest learner we write (a 300-tree forest) is a few MB; refuse absurd ones unread.
MAX_SCHEMA_BYTES = 64 * 1024 * 1024
# Its arrays unpacked (a 300-tree forest on 200 features is tens of MB): a zip bomb is refused unread.
MAX_PAYLOAD_BYTES = 2 * 1024 * 1024 * 1024


def _schema_nodes(node, found: set[tuple[str, str, str]]) -> None:
    if isinstance(node, dict):
        if "__class__" in node:
            found.add((str(node.get("__module__")), str(node["__class__"]), str(node.get("__loader__"))))
        for value in node.values():
            _schema_nodes(value, found)
    elif isinstance(node, list):
        for value in node:
            _schema_nodes(value, found)


def payload_types(payload: bytes, source: str) -> set[tuple[str, str, str]]:
    """(module, class, node kind) of every node in a skops payload, read from its schema without building."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            info = archive.getinfo("schema.json")
            if info.file_size > MAX_SCHEMA_BYTES:
                raise InputError(f"{source}: the fitted model's description is implausibly large")
            if sum(member.file_size for member in archive.infolist()) > MAX_PAYLOAD_BYTES:
                raise InputError(f"{source}: the fitted model would unpack to more than "
                                 f"{MAX_PAYLOAD_BYTES >> 30} GiB; refused")
            schema = json.loads(archive.read(info))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise InputError(f"{source}: the fitted model inside is damaged ({error})") from None
    found: set[tuple[str, str, str]] = set()
    _schema_nodes(schema, found)
    return found


def refused_types(payload: bytes, source: str) -> list[str]:
    """Names of the payload's types or node kinds outside the allow-list (empty: safe to build)."""
    return sorted({f"{module}.{name}" + ("" if loader in ALLOWED_LOADERS else f" ({loader})")
                   for module, name, loader in payload_types(payload, source)
                   if (module, name) not in ALLOWED_TYPES or loader not in ALLOWED_LOADERS})


def dump_estimator(estimator) -> bytes:
    import skops.io as sio

    return sio.dumps(estimator)


def load_estimator(payload: bytes, source: str):
    """The estimator in `payload`, built only if every node is one DNALens writes."""
    refused = refused_types(payload, source)
    if refused:
        shown = ", ".join(refused[:3]) + (f" and {len(refused) - 3} more" if len(refused) > 3 else "")
        raise InputError(f"{source}: refused to load: the file holds objects DNALens never writes ({shown}); "
                         "it was not made by DNALens or was altered")
    import skops.io as sio

    try:
        return sio.loads(payload, trusted=sio.get_untrusted_types(data=payload))
    except Exception as error:  # a damaged but allow-listed payload: still the user's file, not our bug
        raise InputError(f"{source}: the fitted model inside cannot be read ({type(error).__name__}: {error})") \
            from None
