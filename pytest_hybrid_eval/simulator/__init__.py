"""The scripted model server: an offline OpenAI-compatible upstream whose answers are hash draws.

``app`` holds the routes and handlers, ``skill`` every draw (answers, classifier labels, faults, latency),
``wire`` the OpenAI reply shape and token usage, ``transport`` how replies and faults go over HTTP,
``embeddings`` the hashed bag-of-words embedder, ``judging`` the interface through which it plays the review
judge, ``scripted_tests`` the answers of users' test cells, and ``server`` a thread host for tests.
It depends on configuration, cells, tasks and the shared tokenizer only; agents' dialects and the judge's
format are passed in (see ``pytest_hybrid_eval.scripted``).
"""
