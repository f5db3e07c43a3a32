"""Rendering of results and findings: the terminal and HTML pages."""
