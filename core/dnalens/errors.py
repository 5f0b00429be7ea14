"""Errors a user can act on. The CLI prints them as one line, with no traceback."""


class DNALensError(Exception):
    """A problem with the user's input, model or environment, explained in one line."""


class InputError(DNALensError):
    """A malformed or unusable input file or sequence."""


class ModelError(DNALensError):
    """A model that cannot be found, loaded or used for the requested operation."""


class Cancelled(DNALensError):
    """The run was cancelled by the user (GUI Cancel, Ctrl-C)."""


class RemoteError(DNALensError):
    """A DNALens server that cannot be reached, refuses the request or answers in an unexpected way."""
