"""Pausing Python's cycle collector around work that makes many short-lived objects."""

import gc
from contextlib import contextmanager


@contextmanager
def no_cyclic_garbage_collection():
    """Loading or creating tens of thousands of small objects (rows, model instances) makes the cycle collector run
    over and over for nothing: reference counting frees them. It runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
