"""Keep pytest away from the recipe sources: src/ holds the libraries' own test files, which belong to
the generated git repositories, not to the benchmark (a real-prs cell is a materialized task.yaml)."""

collect_ignore = ["src", "build_mirrors.py"]
