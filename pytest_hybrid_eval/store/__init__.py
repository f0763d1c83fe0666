"""The sweep directory and every file in it; no other module spells a file name of a sweep.

- ``layout``: ``SweepDir(path)`` — ``.raw``, ``.sweep_json``, ``.lock``/``.lock_pid``, ``.evidence(cell_id)``
  (``.files``, ``.agent_log``), ``.analysis``, ``.new_results_file(prefix)``, ``.create()``; ``results_files``
  (the raw.jsonl files a path names) and ``unwritable`` (the one-line error for a folder we cannot write).
- ``record``: ``SweepRecord`` (sweep.json), ``write_record``, ``read_record``, ``recorded_config_sha``.
- ``rows``: ``RowWriter`` (the controller's durable appends), ``read_rows`` (the one reader of raw.jsonl),
  ``read_all_rows``, ``latest_per_cell``, ``finished_cells`` (the resume index). The Row schema is
  ``pytest_hybrid_eval.results``.
- ``evidence``: ``keep_evidence`` / ``read_evidence`` — a cell's final files, for rescoring.
- ``lock``: ``OutDirLock`` — one run per sweep directory.
- ``jsonl``: line splitting and the one wording of a bad line, shared by both row readers.
- ``hybrid_coding_eval``: the reader of the predecessor project's raw.jsonl rows.
"""
