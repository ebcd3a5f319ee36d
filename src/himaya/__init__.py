"""Himaya (حماية): a unified, rights-based, life-cycle social protection platform."""

__version__ = "0.1.0"
