"""Bundled speech models (speech-en.pt with its word list, speech-digits.pt), shipped as package data."""
