"""The trusted side: checks that ask the runner for observations and compare them here."""
