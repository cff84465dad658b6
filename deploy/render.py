"""Render deploy/nginx.conf for N gunicorn processes on consecutive ports.

    python deploy/render.py --listen 127.0.0.1:8080 --first-port 8001 --processes 2 > nginx.conf

The template is the one source of truth; `make serve` and the nginx test render it the same way.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().with_name("nginx.conf")
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def render(
    listen: str = "80",
    first_port: int = 8001,
    processes: int = 2,
    user: str = "www-data",
    server_name: str = "_",
    certificate: str | None = None,
    certificate_key: str | None = None,
    sockets_per_address: int = 100,
) -> str:
    """Return the nginx config with every placeholder filled."""
    if processes < 1:
        raise ValueError("processes must be at least 1")
    if bool(certificate) != bool(certificate_key):
        raise ValueError("give both --certificate and --certificate-key, or neither")
    servers = "\n".join(f"        server 127.0.0.1:{first_port + n};" for n in range(processes))
    tls = ""
    if certificate:
        listen = f"{listen} ssl"
        tls = (
            f"        ssl_certificate {certificate};\n"
            f"        ssl_certificate_key {certificate_key};\n"
            "        ssl_protocols TLSv1.2 TLSv1.3;\n"
        )
    values = {
        "USER": user,
        "SERVERS": servers,
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "TLS": tls.rstrip("\n"),
        "SOCKETS_PER_ADDRESS": str(sockets_per_address),
        "SOCKET_HANDSHAKES_PER_MINUTE": str(sockets_per_address * 2),
    }
    template = TEMPLATE.read_text()
    if not user:  # an unprivileged nginx keeps its own user; the directive would only warn
        template = re.sub(r"(?m)^user @USER@;.*\n", "", template)
    unknown = set(PLACEHOLDER.findall(template)) - set(values)
    if unknown:
        raise ValueError(f"{TEMPLATE.name} has unknown placeholders: {sorted(unknown)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def main(argv: list[str] | None = None) -> int:
    """Print (or write) the rendered config."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="80", help="nginx's listen address (default 80)")
    parser.add_argument("--first-port", type=int, default=8001, help="first gunicorn port")
    parser.add_argument("--processes", type=int, default=2, help="gunicorn processes (default 2)")
    parser.add_argument(
        "--user", default="www-data", help="workers' user if started as root (empty: omit)"
    )
    parser.add_argument("--server-name", default="_", help="server_name (default _)")
    parser.add_argument("--certificate", help="TLS certificate (PEM); serves https")
    parser.add_argument("--certificate-key", help="TLS private key (PEM)")
    parser.add_argument(
        "--sockets-per-address",
        type=int,
        default=100,
        help="live connections one client address may hold (default 100)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    try:
        text = render(
            args.listen,
            args.first_port,
            args.processes,
            args.user,
            args.server_name,
            args.certificate,
            args.certificate_key,
            args.sockets_per_address,
        )
    except ValueError as exc:
        parser.error(str(exc))
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
