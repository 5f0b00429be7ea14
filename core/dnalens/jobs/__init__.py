"""An operation's records written to files: what the CLI and the desktop app run (a server returns the records
instead). Each job opens one `OutputSet`, so its files appear together when the run succeeds, or not at all."""
