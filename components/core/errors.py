"""Errors a user can cause and fix in configuration.

A ConfigError carries every problem found, each with the config path it is about and a message
that says how to fix it. It is raised before any resource is registered, and the stack program
turns it into a clean, traceback-free failure of `pulumi preview` / `pulumi up`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        """One line per problem, whatever the config value it quotes holds (a newline, a tab)."""
        text = f"{self.path}: {self.message}" if self.path else self.message
        return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


class ConfigError(Exception):
    def __init__(self, problems: Sequence[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"invalid configuration ({count} problem{'s' if count != 1 else ''}):"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


def raise_if(problems: Sequence[Problem]) -> None:
    if problems:
        raise ConfigError(problems)
