"""Operations: inputs and options in, records out; they never open an output file."""
