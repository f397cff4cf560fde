"""Helpers the tests share: records, scripted replies, answers and clients that several test
modules use. A test module imports from here, never from another test module
(tests/test_test_modules.py checks it)."""
