"""Bundled speech models (speech-digits.pt), shipped as package data."""
