"""The synthetic corpus generator (scripts/generate_synthetic_corpus.py) as a module, for tests and benchmarks."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from asknews_assets.settings import PROJECT_ROOT


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_synthetic_corpus", PROJECT_ROOT / "scripts" / "generate_synthetic_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module
