"""Where courses live: the grader packaged for an LMS's autograder and run there on one submission.

`wheel` rebuilds this installed grader as a wheel (what an autograder image installs),
`single` grades one student's submission folder, `gradescope` and `prairielearn` build and run
each LMS's entry point; the documents they write are pure reporters in `grader.reports`.
"""
