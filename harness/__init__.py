"""Test harness for the file-storage stack: toolchain, emulator, stack lifecycle, sweeper."""
