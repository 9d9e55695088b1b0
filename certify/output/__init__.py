"""Output: text/JSON/Markdown/LaTeX reports, certificates (store and re-check through the kernel), JUnit,
plots, progress lines, atomic writes, number formatting.
"""
