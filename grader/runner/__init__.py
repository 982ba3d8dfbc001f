"""The untrusted side: a fresh, limited process that runs a submission and answers observations.

`worker` runs inside that process and knows nothing secret; `process` and
`session` live in the grader and drive it through `protocol` (JSON frames plus
`.npy` files, never pickle).
"""
