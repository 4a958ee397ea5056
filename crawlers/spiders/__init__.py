"""Spiders follow links; extraction lives in :mod:`crawlers.extract`."""
