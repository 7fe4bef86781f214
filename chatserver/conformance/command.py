"""``chatserver conformance``: the suite's command line."""

from __future__ import annotations

import argparse

from chatserver.conformance.limits import Limits

EPILOG = """\
Tokens: --jwt-secret (or the JWT_SECRET environment variable) signs them here, HS256; or
--token-command runs '<command> --role R --name N --sub S --ttl SECONDS [--business B]' and reads
the token from its last line of output ('chatserver token' follows this contract).

Exit status: 0 every case ran and passed; 1 a case failed; 2 bad usage; 3 none failed but some
could not run with the inputs given (listed as SKIP, with what they need).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="WS_URL",
        help="the server's /realtime URL; give two (instances sharing one database) for the multi-instance cases",
    )
    parser.add_argument(
        "--business",
        action="append",
        default=[],
        metavar="ID",
        help="an existing business id; the first is used throughout, more (max-rooms+1) enable limit_reached",
    )
    parser.add_argument("--jwt-secret", default=None, help="the server's HS256 JWT_SECRET (default: $JWT_SECRET)")
    parser.add_argument("--token-command", default=None, help="a command printing tokens (instead of the secret)")
    parser.add_argument(
        "--cluster", action="store_true", help="the instances share a broker: also check live delivery across them"
    )
    parser.add_argument("--only", action="append", default=[], metavar="PREFIX", help="run only cases named PREFIX…")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for any one answer (default 5)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    defaults = Limits()
    parser.add_argument(
        "--max-frame-bytes", type=int, default=defaults.max_frame_bytes, help="the server's MAX_FRAME_BYTES"
    )
    parser.add_argument(
        "--max-message-length", type=int, default=defaults.max_message_length, help="the server's MAX_MESSAGE_LENGTH"
    )
    parser.add_argument(
        "--guest-rate-limit", type=int, default=defaults.guest_rate_limit, help="the server's GUEST_MESSAGE_RATE_LIMIT"
    )
    parser.add_argument(
        "--max-rooms-per-session",
        type=int,
        default=defaults.max_rooms_per_session,
        help="the server's GUEST_MAX_ROOMS_PER_SESSION",
    )


async def main(args: argparse.Namespace, *, default_secret: str = "") -> int:
    """``default_secret``: the JWT_SECRET of the environment (read by ``chatserver.config``)."""
    from chatserver.conformance.context import SuiteConfig
    from chatserver.conformance.runner import all_cases, exit_code, run_suite
    from chatserver.conformance.tokens import TokenSource

    if args.list:
        for case in all_cases():
            needs = f"  [needs {', '.join(n.value for n in sorted(case.needs))}]" if case.needs else ""
            print(f"{case.name:<40} {case.section}{needs}")
        return 0
    secret = args.jwt_secret if args.jwt_secret is not None else default_secret
    problems = []
    if not args.url:
        problems.append("--url is required")
    if len(args.url) > 2:
        problems.append("at most two --url")
    if not args.business:
        problems.append("--business is required")
    if not secret and not args.token_command:
        problems.append("--jwt-secret (or JWT_SECRET) or --token-command is required")
    if args.cluster and len(args.url) < 2:
        problems.append("--cluster needs two --url")
    if problems:
        print("chatserver conformance: " + "; ".join(problems))
        return 2
    config = SuiteConfig(
        urls=tuple(args.url),
        businesses=tuple(args.business),
        tokens=TokenSource(secret=secret or None, command=args.token_command),
        cluster=args.cluster,
        limits=Limits(args.max_frame_bytes, args.max_message_length, args.guest_rate_limit, args.max_rooms_per_session),
        timeout=args.timeout,
        only=tuple(args.only),
    )
    return exit_code(await run_suite(config))
