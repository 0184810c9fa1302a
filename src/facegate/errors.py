"""The error classes every room of facegate raises; faces turn them into one-line messages."""


class FacegateError(Exception):
    """Base of every error facegate reports to a user; its message is safe to show (no biometric data)."""

    exit_code = 1


class InputError(FacegateError):
    """The user's input (a file, a spec, an argument) is not acceptable."""

    exit_code = 2


class NotFoundError(InputError):
    """A named thing (deployment, subject, event) does not exist."""


class RefusedError(FacegateError):
    """The rules refuse the operation; carries the rule IDs behind the refusal."""

    exit_code = 3

    def __init__(self, message: str, rule_ids: list[str], alternatives: list[str] | None = None) -> None:
        super().__init__(message)
        self.rule_ids = list(rule_ids)
        self.alternatives = list(alternatives or [])

    def __str__(self) -> str:
        text = f"{self.args[0]} [{', '.join(self.rule_ids)}]"
        if self.alternatives:
            text += f"; alternatives: {', '.join(self.alternatives)}"
        return text


class TamperedError(FacegateError):
    """The audit log failed verification: an entry or checkpoint was altered, removed, reordered or forged."""

    exit_code = 4
