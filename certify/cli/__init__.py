"""The command line: argument parsing and exit codes only (main is `certify`, one module per sub-command).
"""
