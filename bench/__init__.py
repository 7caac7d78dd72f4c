"""The benchmark of `CopiedAfi` against the emulator and the real Pulumi engine (`make bench`)."""
