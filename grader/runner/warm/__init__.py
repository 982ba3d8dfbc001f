"""Warm runners: one fork server per worker imports TensorFlow once; each submission's runner is forked.

Each module's name says which side of the fork it runs on:
- `pool` (the grader): starts and keeps the servers, gives sessions a starter;
- `handle` (the grader): one warm runner as a session drives it, cold in its place on any failure;
- `server` (inside the sandbox, before the fork): imports what runners need, forks on request;
- `child` (after the fork): the runner's supervisor, its namespaces' PID 1, then the worker;
- `mounts` (after the fork, in the child): the runner's own mounts, what bwrap does for a cold one.

Nothing is imported here: the server and the child import only what they need.
"""
