"""Lola's embedded offline router: `load_router()` and its `RouterPrediction` (see tools/router/model.py)."""

from tools.router.model import Router, RouterPrediction, load_router

__all__ = ["Router", "RouterPrediction", "load_router"]
