"""The language: the expression grammar (parse), rule files (rule), network declarations (network), data
files (datafiles) and where named files may be (paths). Everything here reads input; nothing decides.
"""
