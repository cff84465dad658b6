"""The production gunicorn settings (`deploy/gunicorn.conf.py`) as the worker applies them."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def test_a_worker_leaves_what_it_loaded_at_start_up_out_of_garbage_collection():
    """A full collection walked every module, class and cache of the app and held every request
    of the process meanwhile; once the worker has loaded the app they are frozen."""
    settings = runpy.run_path(str(CONF))
    assert settings["workers"] == 1 and settings["worker_class"] == "gthread"
    gc.unfreeze()
    try:
        settings["post_worker_init"](None)
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the test process's modules, the app's among them
        gc.collect()
        assert gc.get_freeze_count() == frozen  # a collection leaves them where they are
    finally:
        gc.unfreeze()
