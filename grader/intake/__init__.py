"""Intake: what students hand in -> the code cells the runner executes, one concept a module.

- `discovery`: files, folders, zips and LMS downloads -> one `Submission` per student;
- `submission`: the record, and the error a student reads;
- `cells`: a notebook or a percent-format module -> code cells (one splitter for `# %%` files);
- `zips`: validated extraction (names, counts, sizes) before anything touches the disk;
- `hashing`: which files count and their hash (an unchanged submission is not regraded);
- `downloads`: LMS download names (Moodle, Canvas) parsed strictly;
- `answers`: written answers found by cell identity, not position.

Nothing is imported here: importing one part never loads the others.
"""
