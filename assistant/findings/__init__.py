"""Findings: where relational goods arise, extracted from transcripts with verified evidence."""
