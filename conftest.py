"""Collection rules of this repository's benchmark suites, in one place.

``pytest bench_suites`` collects task folders (task.yaml) as cells and ordinary test files (such as
``bench_suites/examples``) as test cells. What must never be collected is source that belongs to a task
rather than to the benchmark: the libraries under ``bench_suites/real_prs/src`` carry their own test
files, which belong inside the generated git repositories of the real-prs tasks, and
``build_mirrors.py`` is the script that generates those repositories. A task folder's own parts
(public/, tests/, hidden/, reference/, decoy/) are kept out by the plugin itself, for every project.
"""

collect_ignore = ["bench_suites/real_prs/src", "bench_suites/real_prs/build_mirrors.py"]
