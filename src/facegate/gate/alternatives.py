"""Non-biometric alternatives through the gate (CN25-10): PIN, TOTP, one-time check-in codes, passkeys and a
staff member's check, set up and verified without any face."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from facegate import policy
from facegate.context import Context
from facegate.errors import InputError, NotFoundError
from facegate.events import Op
from facegate.gate.admission import Admission
from facegate.gate.checks import ALTERNATIVE_NAMES, LOCKOUT_RULE, lockout, offers, refusal
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.vault import credentials
from facegate.vault.credentials import RelyingParty
from facegate.vault.models import AttemptRow, CredentialRow

CHECKIN_CODE_HOURS = 24
# Credential rows that hold a pending passkey ceremony's challenge, one per ceremony.
PASSKEY_CHALLENGES = {"register": "passkey_register", "authenticate": "passkey_sign_in"}
PASSKEY_CHALLENGE_SECONDS = 180
NO_CEREMONY = "no passkey ceremony is pending, or it took too long: ask for new options"


class Alternatives:
    """The ways in that use no face, offered wherever face recognition is (CN25-10a/b)."""

    def __init__(self, context: Context, recorder: Recorder, admission: Admission) -> None:
        self.context, self.recorder, self.admission = context, recorder, admission
        self.db, self.vault = context.db, context.vault

    def _method(self, spec: policy.Deployment, method: str) -> str:
        if method not in ALTERNATIVE_NAMES:
            raise InputError(f"unknown method {method!r}: use one of {', '.join(ALTERNATIVE_NAMES)}")
        if not offers(spec, method):
            raise refusal(
                spec,
                f"deployment {spec.id} does not offer {method} (it offers {', '.join(spec.alternatives)})",
                ["CN25-10a"],
            )
        return method

    def set_alternative(
        self,
        deployment_id: str,
        subject_id: str,
        method: str,
        secret: str | None = None,
        caller: Caller | None = None,
        rp: RelyingParty | None = None,
    ) -> Decision:
        """Set up a non-biometric method: a PIN (`secret`), a TOTP secret (shown once), a one-time check-in code,
        or a passkey (`secret` is the browser's answer to `passkey_options`, made for the relying party `rp`)."""
        caller = caller or Caller()
        now = self.context.clock()
        details: dict[str, Any] = {"method": method}
        with self.db.session(readonly=True) as session:
            loaded = self.admission.load(session, deployment_id)
            self.admission.subject(session, subject_id)
        with self.recorder.guarded(caller, Op.ALTERNATIVE_SET, deployment=deployment_id, subject=subject_id):
            self._method(loaded.spec, method)
        if method == "staff":
            raise InputError("staff-assisted verification needs no set-up; record it with verify_alternative")
        expires = None
        if method == "pin":
            if not secret:
                raise InputError("a PIN is required")
            stored = credentials.hash_pin(secret)
        elif method == "totp":
            totp = credentials.new_totp_secret()
            stored = self.vault.seal_secret(deployment_id, subject_id, totp)
            uri = credentials.totp_uri(totp, subject_id, loaded.spec.handler.name)
            details |= {"totp_uri": uri, "qr_svg": credentials.qr_svg(uri)}
        elif method == "passkey":
            site, answer = _passkey_site(rp), _passkey_answer(secret)
            with self.db.session() as session:  # used up even when the answer is refused
                challenge = self.vault.take_credential(
                    session, deployment_id, subject_id, PASSKEY_CHALLENGES["register"], now
                )
            if challenge is None:
                raise InputError(NO_CEREMONY)
            stored = credentials.check_passkey_registration(site, answer, challenge)
        else:
            code = credentials.new_checkin_code()
            stored, expires = credentials.hash_checkin_code(code), now + timedelta(hours=CHECKIN_CODE_HOURS)
            details |= {"code": code, "qr_svg": credentials.qr_svg(code), "expires_at": expires.isoformat()}
        with self.db.session() as session:
            self.vault.set_credential(session, deployment_id, subject_id, method, stored, now, expires)
            return self.recorder.record(
                session,
                caller,
                Op.ALTERNATIVE_SET,
                "set",
                deployment=deployment_id,
                subject=subject_id,
                details=details,
            )

    def passkey_options(
        self,
        deployment_id: str,
        subject_id: str,
        ceremony: str,
        rp: RelyingParty,
        caller: Caller | None = None,
    ) -> dict[str, Any]:
        """Begin a passkey ceremony, 'register' or 'authenticate': the options a browser passes to WebAuthn.

        The challenge is kept for a few minutes, for the one answer `set_alternative` or `verify_alternative`
        checks; asking again replaces it.
        """
        caller = caller or Caller()
        if ceremony not in PASSKEY_CHALLENGES:
            raise InputError(f"unknown passkey ceremony {ceremony!r}: use register or authenticate")
        now = self.context.clock()
        with self.db.session(readonly=True) as session:
            loaded = self.admission.load(session, deployment_id)
            self.admission.subject(session, subject_id)
            passkey = self.vault.credential(session, deployment_id, subject_id, "passkey")
        fields: dict[str, Any] = {"deployment": deployment_id, "subject": subject_id}
        with self.recorder.guarded(
            caller, Op.ALTERNATIVE_VERIFY if ceremony == "authenticate" else Op.ALTERNATIVE_SET, **fields
        ):
            self._method(loaded.spec, "passkey")
            if ceremony == "authenticate":
                policy.check_operation(policy.Status(loaded.row.status), loaded.spec, "verify")
        existing = passkey.secret if passkey is not None else None
        if ceremony == "register":
            user = f"{deployment_id}/{subject_id}"
            options, challenge = credentials.passkey_registration(rp, loaded.spec.handler.name, user, existing)
        elif existing is None:
            raise NotFoundError(f"subject {subject_id} has no passkey set up for {deployment_id}")
        else:
            options, challenge = credentials.passkey_authentication(rp, existing)
        slot, until = PASSKEY_CHALLENGES[ceremony], now + timedelta(seconds=PASSKEY_CHALLENGE_SECONDS)
        with self.db.session() as session:
            self.vault.set_credential(session, deployment_id, subject_id, slot, challenge, now, until)
        return options

    def verify_alternative(
        self,
        deployment_id: str,
        subject_id: str,
        method: str,
        secret: str | None = None,
        caller: Caller | None = None,
        rp: RelyingParty | None = None,
    ) -> Decision:
        """Verify the subject without any face: PIN, TOTP, check-in code, passkey (`secret` is the browser's
        answer to `passkey_options`, for the relying party `rp`), or a staff member's check."""
        caller = caller or Caller()
        now = self.context.clock()
        with self.db.session(readonly=True) as session:
            loaded = self.admission.load(session, deployment_id)
            self.admission.subject(session, subject_id)
        with self.recorder.guarded(caller, Op.ALTERNATIVE_VERIFY, deployment=deployment_id, subject=subject_id):
            self._method(loaded.spec, method)
            policy.check_operation(policy.Status(loaded.row.status), loaded.spec, "verify")
        details: dict[str, Any] = {"method": method}
        fields: dict[str, Any] = {"deployment": deployment_id, "subject": subject_id}
        locked_until = None
        with self.db.session() as session:
            ok = method == "staff"  # the staff member's own check; the caller is recorded as the verifier
            row = None if ok else self.vault.credential(session, deployment_id, subject_id, method)
            if method != "staff" and row is None:
                raise NotFoundError(f"subject {subject_id} has no {method} set up for {deployment_id}")
            attempts = None if row is None else self.vault.attempts(session, deployment_id, subject_id)
            if attempts is not None and attempts.locked_until is not None and attempts.locked_until > now:
                locked_until = attempts.locked_until
            elif row is not None and attempts is not None:
                session.refresh(row)  # read again now that checks of this subject are serialised
                ok = self._check_secret(session, row, method, secret, now, rp, details)
                self._count(session, caller, attempts, ok, now, fields)
            if locked_until is None:
                return self.recorder.record(
                    session,
                    caller,
                    Op.ALTERNATIVE_VERIFY,
                    "verified" if ok else "not_verified",
                    **fields,
                    rule_ids=("CN25-10b",),
                    purpose=loaded.spec.purpose.category,
                    details={**details, "verified": ok},
                )
        locked = refusal(
            loaded.spec,
            f"too many failed attempts: {method} and the other secret-based methods are locked for this "
            f"subject at {deployment_id} until {locked_until.isoformat()}",
            [LOCKOUT_RULE],
        )
        self.recorder.refuse(caller, Op.ALTERNATIVE_VERIFY, locked, **fields)  # records the refusal and raises it

    def _check_secret(
        self,
        session: Session,
        row: CredentialRow,
        method: str,
        secret: str | None,
        now: datetime,
        rp: RelyingParty | None,
        details: dict[str, Any],
    ) -> bool:
        """Whether `secret` opens the credential `row`; a check-in code is used up by the one check it passes."""
        deployment_id, subject_id = row.deployment_id, row.subject_id
        if row.used_at is not None or (row.expires_at is not None and row.expires_at < now):
            return False
        if method == "pin":
            return credentials.check_pin(row.secret, secret or "")
        if method == "totp":
            return credentials.check_totp(
                self.vault.open_secret(deployment_id, subject_id, row.secret), secret or "", now
            )
        if method == "passkey":
            site, answer = _passkey_site(rp), _passkey_answer(secret)
            slot = PASSKEY_CHALLENGES["authenticate"]
            challenge = self.vault.take_credential(session, deployment_id, subject_id, slot, now)
            updated = credentials.check_passkey(site, answer, challenge, row.secret) if challenge else None
            if updated is not None:
                row.secret = updated  # the new signature counter: a cloned authenticator shows up
            elif challenge is None:
                details["reason"] = NO_CEREMONY
            return updated is not None
        return credentials.check_checkin_code(row.secret, secret or "") and self.vault.use_credential(session, row, now)

    def _count(
        self, session: Session, caller: Caller, attempts: AttemptRow, ok: bool, now: datetime, fields: dict[str, Any]
    ) -> None:
        """Reset the failure count on success; on failure count it, and lock out (audited) past the free ones."""
        if ok:
            attempts.failures, attempts.locked_until = 0, None
            return
        attempts.failures += 1
        pause = lockout(attempts.failures)
        if pause is None:
            return
        attempts.locked_until = now + pause
        self.recorder.record(
            session,
            caller,
            Op.ALTERNATIVE_LOCKOUT,
            "locked",
            **fields,
            rule_ids=(LOCKOUT_RULE,),
            details={"failures": attempts.failures, "locked_until": attempts.locked_until.isoformat()},
        )


def _passkey_site(rp: RelyingParty | None) -> RelyingParty:
    if rp is None:
        raise InputError("passkeys are used in a browser: set them up and check them through the portal or the API")
    return rp


def _passkey_answer(answer: str | None) -> str:
    if not answer:
        raise InputError("the browser's passkey answer (a WebAuthn credential, as JSON) is required")
    return answer
