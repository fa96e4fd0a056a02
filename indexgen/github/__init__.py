"""The GitHub layer: the only code that talks to GitHub. Scanners return plain records."""
