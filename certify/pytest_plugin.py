"""pytest plugin: rule files and certificates as test items (entry point `pytest11`, name `certify`).

Inert unless configured. In pyproject.toml (or pytest.ini / setup.cfg / tox.ini):

    [tool.pytest.ini_options]
    certify_rules = ["rules"]     # every *.toml rule file under these directories is a test item
    certify_proofs = ["proofs"]   # every *.json certificate under these directories is a test item

A rule item passes when every verdict documented under [expect] is reproduced (when the file documents
none: when its stated claim is certified, or, without a claim, when some bound is certified in some norm).
A certificate item passes when `certify verify` passes on it (kernel re-check, not stale).

When pytest is run without explicit paths (it then collects `testpaths` or the current directory), the
configured directories are collected too, so `pytest` alone picks them up. Disable with `-p no:certify`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

RULES_INI = "certify_rules"
PROOFS_INI = "certify_proofs"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(RULES_INI, type="paths", default=[],
                  help="certify: directories whose *.toml rule files are collected as test items")
    parser.addini(PROOFS_INI, type="paths", default=[],
                  help="certify: directories whose *.json certificates are collected as test items "
                       "(each passes when `certify verify` passes)")


def _dirs(config: pytest.Config, name: str) -> list[Path]:
    return [Path(p).resolve() for p in config.getini(name)]


def _under(path: Path, dirs: list[Path]) -> bool:
    path = path.resolve()
    return any(path == d or d in path.parents for d in dirs)


def pytest_configure(config: pytest.Config) -> None:
    dirs = _dirs(config, RULES_INI) + _dirs(config, PROOFS_INI)
    sources = getattr(pytest.Config, "ArgsSource", None)
    if not dirs or sources is None or config.args_source == sources.ARGS:
        return
    roots = [Path(a).resolve() for a in config.args]
    for d in dirs:
        if d.is_dir() and not any(d == r or r in d.parents for r in roots):
            config.args.append(str(d))


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    config = parent.config
    if file_path.suffix == ".toml" and _under(file_path, _dirs(config, RULES_INI)) and _is_rule(file_path):
        return RuleFile.from_parent(parent, path=file_path)
    if file_path.suffix == ".json" and _under(file_path, _dirs(config, PROOFS_INI)):
        return CertificateFile.from_parent(parent, path=file_path)
    return None


def _is_rule(path: Path) -> bool:
    """A TOML file with a [rule] table (or one that does not parse: the item then reports the error)."""
    try:
        return "rule" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True


class CertifyFailure(Exception):
    """A rule or certificate item failed; the message is the report."""


class _Item(pytest.Item):
    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CertifyFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"certify {self.kind}: {self.path.name}"


class RuleItem(_Item):
    kind = "rule"

    def runtest(self) -> None:
        from certify.check import check_rule
        from certify.errors import InputError
        from certify.output.report import text_error, text_report
        from certify.lang.rule import Rule
        try:
            rule = Rule.from_file(self.path)
            rep = check_rule(rule, expectations=True)
        except InputError as err:
            raise CertifyFailure(text_error(err)) from None
        if rule.expect:
            if rep.mismatches:
                raise CertifyFailure("documented verdicts not reproduced:\n"
                                     + "\n".join(f"  {m}" for m in rep.mismatches)
                                     + "\n\n" + text_report(rep, verbose=False))
        elif rep.verdict.value != "certified":
            what = "the stated claim is" if rule.claim else "no bound in any norm is"
            raise CertifyFailure(f"{what} not certified ({rep.verdict.value}):\n\n" + text_report(rep))


class CertificateItem(_Item):
    kind = "certificate"

    def runtest(self) -> None:
        from certify.output.certificate import render_verified, verify_file
        result = verify_file(self.path)
        if not result.ok:
            raise CertifyFailure(render_verified(result, verbose=False))


class RuleFile(pytest.File):
    def collect(self):
        yield RuleItem.from_parent(self, name=self.path.stem)


class CertificateFile(pytest.File):
    def collect(self):
        yield CertificateItem.from_parent(self, name=self.path.stem)
