"""Instructor tools that write a course: `grader new`, `assign`, `generate`, `release` (nbformat lives here)."""


class AuthoringError(Exception):
    """An authoring command cannot run as given (unknown or existing id, a broken notebook): exit 2."""
