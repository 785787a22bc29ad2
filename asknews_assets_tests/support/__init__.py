"""What tests and benchmarks share, so that neither imports the other:

- fakes/: local stand-ins for external services (OpenAI-compatible chat, Hugging Face Hub, AskNews
  API, a chat server that fails a set share of calls) and for upstream tables and assets;
- processes/: real PostgreSQL, Redis, Celery workers and the Dagster webserver and daemon, started
  for one test or benchmark and stopped by their own PIDs;
- models/: tiny models built on the spot (a Marian translator);
- data/: synthetic inputs (news records and corpora, the corpus generator, hypothesis strategies,
  a small NER dataset in GLiNER's format, the files the training stages leave for publication).
"""
