"""Custom programs: run an administrator's executable with the alarm in its
environment, its arguments and on stdin (JSON).

Security model (docs/notifications.md): only superusers may create or change program
channels (admin); the path is absolute and may be confined to NOTIFY["PROGRAM_DIRS"];
there is no shell - the argument list is passed as is, and each `$placeholder` is
substituted inside its own argument, so alarm text (which partly comes from SNMP agents)
can neither add arguments nor reach a shell; the environment is rebuilt from scratch
(PATH, LANG and UNMS_* only: no secrets of ours leak); the program runs in its own
process group, which is killed whole when the timeout passes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from string import Template
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from notifications.choices import ChannelKind
from notifications.transports.base import Transport, TransportError

if TYPE_CHECKING:
    from notifications.messages import Message
    from notifications.models import Recipient

OUTPUT_LIMIT = 4000
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


def variables(message: Message, recipient: Recipient) -> dict[str, str]:
    """Placeholders for arguments (`$ups`) and, upper-cased with UNMS_, the environment."""
    first = message.first
    return {
        "type": message.kind,
        "subject": message.subject,
        "severity": message.severity,
        "count": str(len(message.items)),
        "event": str(first["event"]),
        "alarm_id": str(first["alarm_id"] or ""),
        "kind": str(first["kind"]),
        "condition": str(first["condition"]),
        "message": str(first["message"]),
        "ups": str(first["ups"]),
        "site": str(first["site"]),
        "region": str(first["region"]),
        "raised_at": str(first["raised_at"]),
        "url": str(first["url"]),
        "recipient": recipient.name,
        "recipient_address": recipient.address or recipient.email,
        "notification_ids": ",".join(map(str, message.notification_ids)),
    }


class ProgramTransport(Transport):
    kind = ChannelKind.PROGRAM

    def notify(self, message: Message, recipient: Recipient) -> dict[str, Any]:
        values = variables(message, recipient)
        argv = [self.channel.program_path] + [
            Template(a).safe_substitute(values) for a in self.channel.program_args
        ]
        env = {"PATH": SAFE_PATH, "LANG": "C.UTF-8"} | {
            f"UNMS_{k.upper()}": v for k, v in values.items()
        }
        stdin = json.dumps(message.as_json(recipient, timezone.now())).encode()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                cwd="/",
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            # Missing or not executable: retrying will not fix the configuration.
            raise TransportError(f"cannot run {argv[0]}: {exc}", permanent=True) from exc
        try:
            out, _ = proc.communicate(stdin, timeout=self.channel.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, _ = proc.communicate()
            raise TransportError(
                f"timed out after {self.channel.timeout_s} s",
                result={"exit_code": None, "output": _text(out)},
            ) from None
        result = {"exit_code": proc.returncode, "output": _text(out)}
        if proc.returncode != 0:
            raise TransportError(f"exited with {proc.returncode}", result=result)
        return result


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # Children the program started (a `curl` it forked) go too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _text(out: bytes | None) -> str:
    return (out or b"")[-OUTPUT_LIMIT:].decode("utf-8", "replace")
