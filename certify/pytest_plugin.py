"""pytest plugin: rule files and certificates as test items (entry point `pytest11`, name `certify`).

Inert unless configured. In pyproject.toml (or pytest.ini / setup.cfg / tox.ini):

    [tool.pytest.ini_options]
    certify_rules = ["rules"]     # every *.toml rule file under these directories is a test item
    certify_proofs = ["proofs"]   # every *.json certificate under these directories is a test item

A rule file yields one item per claim (`decay-only[l2-nonincreasing]`, `oja[laws]`, ...): an item passes when its
documented verdict under [expect] is reproduced, its stated [claim] is certified, or its declared laws hold as
documented; a file with no claim and no expectation yields one item, `[explore]`, which passes when some bound is
certified in some norm. One item per claim makes `-k` and `--lf` work per claim.
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
    """One claim of a rule file: a documented expectation ([expect.l2] nonincreasing = "certified": passes when the
    kernel reproduces the verdict), the stated [claim] (passes when certified), the declared laws (pass when every
    documented law verdict is reproduced, or, undocumented, none is refuted), or -- for a file with none of these --
    the exploration of every norm (passes when some bound is certified). Named `<rule>[<measure>-<bound>]`,
    `<rule>[laws]`, `<rule>[explore]`, so `-k nonincreasing` and `--lf` work per claim."""

    kind = "rule"

    def __init__(self, *, what: tuple, **kwargs) -> None:
        super().__init__(**kwargs)
        self.what = what

    def runtest(self) -> None:
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.budget import limit
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.errors import InputError
        # deferred: loads SymPy only when this runs
        from certify.output.report import text_error
        try:
            with limit(None):
                self._run()
        except InputError as err:
            raise CertifyFailure(text_error(err)) from None

    def _run(self) -> None:
        # deferred: loads SymPy only when this runs
        from certify.check import check_rule, decide, decide_contracting
        # deferred: loads SymPy only when this runs
        from certify.kernel.objects import Claim
        from certify.lang.rule import Rule
        from certify.output.report import Printer, _result_lines, text_report
        rule = Rule.from_file(self.path)
        kind = self.what[0]
        if kind == "claim":
            _, measure, bound, expected = self.what
            r = decide_contracting(rule, measure) if bound == "contracting" else decide(rule, Claim(measure, bound))
            want = expected or "certified"
            if r.verdict.value != want:
                label = "documented" if expected else "stated (the claim must be certified)"
                raise CertifyFailure(f"{measure} {bound}: {label} {want}, got {r.verdict.value}\n\n"
                                     + "\n".join(_result_lines(r, Printer("text"), steps=True)))
            return
        if kind == "laws":
            # deferred: loads SymPy only when this runs
            from certify.search.laws import decide_laws, law_mismatches
            reports = decide_laws(rule)
            bad = list(law_mismatches(rule, reports)) or (
                [] if rule.law_expect else [f"[{r.section}] {r.law}: refuted" for rep in reports for r in rep.results
                                            if r.verdict.value == "refuted"])
            if bad:
                raise CertifyFailure("declared laws:\n" + "\n".join(f"  {m}" for m in bad))
            return
        rep = check_rule(rule)
        if rep.verdict.value != "certified":
            raise CertifyFailure(f"no bound in any norm is certified ({rep.verdict.value}):\n\n"
                                 + text_report(rep, level="verbose"))


class _BadRule(_Item):
    """A rule file that does not load: one failing item with the located error."""

    kind = "rule"

    def __init__(self, *, error: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise CertifyFailure(self.error)


def rule_claims(rule) -> list[tuple]:
    """The items of one rule file, in the order `certify check --expect` decides them."""
    items: list[tuple] = []
    seen = set()
    if rule.claim is not None and tuple(rule.claim) not in {(m, b) for m, b, _ in rule.expect}:
        items.append(("claim", rule.claim[0], rule.claim[1], None))
    for m, b, v in rule.expect:
        if (m, b) not in seen:
            seen.add((m, b))
            items.append(("claim", m, b, v))
    if rule.balancing or rule.energy:
        items.append(("laws",))
    if not items:
        items.append(("explore",))
    return items


def _item_name(stem: str, what: tuple) -> str:
    return f"{stem}[{what[1]}-{what[2]}]" if what[0] == "claim" else f"{stem}[{what[0]}]"


class CertificateItem(_Item):
    kind = "certificate"

    def runtest(self) -> None:
        # deferred: loads SymPy only when this runs
        from certify.output.certificate import render_verified, verify_file
        result = verify_file(self.path)
        if not result.ok:
            raise CertifyFailure(render_verified(result, verbose=False))


class RuleFile(pytest.File):
    def collect(self):
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.errors import InputError
        # deferred: loads SymPy only when this runs
        from certify.lang.rule import Rule
        # deferred: loads SymPy only when this runs
        from certify.output.report import text_error
        try:
            rule = Rule.from_file(self.path)
            if rule.network:    # a bad W0 or bias file is an error whatever the claims (as in `certify check`)
                # deferred: loads SymPy only when this runs
                from certify.lang.network import network_of
                network_of(rule)
        except InputError as err:
            yield _BadRule.from_parent(self, name=self.path.stem, error=text_error(err))
            return
        for what in rule_claims(rule):
            yield RuleItem.from_parent(self, name=_item_name(self.path.stem, what), what=what)


class CertificateFile(pytest.File):
    def collect(self):
        yield CertificateItem.from_parent(self, name=self.path.stem)
