"""Instructor tools that write a course: `grader new`, `assign`, `generate`, `release` (nbformat lives here)."""
