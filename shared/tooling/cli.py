"""The ``regionet`` command: run a whole Regionet locally, inspect it, sign development tokens.

Further command groups join with ``app.add_typer(sub_app, name="...")``; they report expected
failures by raising ``StartupError`` (or ``typer.Exit``), which ``main`` turns into one clear
sentence and a non-zero exit code instead of a traceback.

A service adds its own command group with a ``services/<name>/cli.py`` that defines
``app: typer.Typer``; the group is called by the name given to that ``Typer`` (intake's is
``import``: ``regionet import participants FILE``), else by the service's name.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shared.auth import Role, issue_token
from shared.services import SERVICES
from shared.settings import DEV_JWT_ISSUER, JWT_AUDIENCE
from shared.tooling.demo.cli import demo
from shared.tooling.dlq import app as dlq_app
from shared.tooling.runtime import supervisor
from shared.tooling.runtime.embedded_nats import DEFAULT_NATS_MONITOR_PORT, DEFAULT_NATS_PORT
from shared.tooling.runtime.embedded_postgres import DEFAULT_POSTGRES_PORT
from shared.tooling.runtime.errors import StartupError
from shared.tooling.runtime.mail_sink import DEFAULT_SMTP_PORT

app = typer.Typer(
    name="regionet",
    help="Run Regionet's services with NATS and Postgres on this machine, and look after them.",
    no_args_is_help=True,
    add_completion=False,
    # Expected failures are StartupErrors, reported by main(); anything else is a bug and
    # deserves Python's plain traceback.
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


def _check_region(region: str) -> str:
    if not (region.isalnum() and region.islower()):
        raise typer.BadParameter(f"a region is a lower-case code such as 'gld', not {region!r}")
    return region


RootOption = Annotated[
    Path,
    typer.Option("--root", envvar="REGIONET_ROOT", help="Folder for data, logs, secrets and endpoints.json."),
]
RegionOption = Annotated[
    str,
    typer.Option("--region", envvar="REGIONET_REGION", callback=_check_region, help="Region (province) code."),
]
DEFAULT_ROOT = Path(".regionet")


def _where(url: str) -> str:
    # Host, port and database without the credentials a URL may carry.
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}{parts.path}"


def _show_endpoints(endpoints: supervisor.Endpoints, root: Path) -> None:
    table = Table(title=f"Regionet {endpoints.region} ({endpoints.mode})")
    for column in ("service", "URL", "API docs"):
        # Fold rather than truncate: a URL cut short with "…" is useless.
        table.add_column(column, overflow="fold")
    for name, svc in endpoints.services.items():
        table.add_row(name, svc.url, svc.docs)
    console.print(table)
    console.print(f"Logs      {supervisor.service_log_path(root, '<service>')}")
    monitoring = f"  (monitoring {endpoints.nats_monitor_url})" if endpoints.nats_monitor_url else ""
    console.print(f"NATS      {endpoints.nats_url}{monitoring}")
    console.print(f"Postgres  {_where(endpoints.postgres_admin_url)}  (admin URL in {supervisor.endpoints_path(root)})")


def _report(message: str) -> None:
    # Timestamped: under --detach these lines are the supervisor's log.
    console.print(f"[dim]{datetime.now().strftime('%H:%M:%S')}[/dim] {message}")


@app.command()
def up(
    root: RootOption = DEFAULT_ROOT,
    region: RegionOption = "gld",
    external: Annotated[
        bool, typer.Option(help="Use the NATS and Postgres named by REGIONET_* environment variables.")
    ] = False,
    detach: Annotated[bool, typer.Option(help="Return once everything is ready and leave it running.")] = False,
    nats_port: Annotated[int, typer.Option(help="Client port of the embedded NATS.")] = DEFAULT_NATS_PORT,
    nats_monitor_port: Annotated[
        int, typer.Option(help="Monitoring port of the embedded NATS.")
    ] = DEFAULT_NATS_MONITOR_PORT,
    postgres_port: Annotated[int, typer.Option(help="Port of the embedded Postgres.")] = DEFAULT_POSTGRES_PORT,
    smtp_port: Annotated[
        int, typer.Option(help="Port of the embedded mail sink, which keeps every email under ROOT/mail.")
    ] = DEFAULT_SMTP_PORT,
    service_port_base: Annotated[
        int | None, typer.Option(help="First service HTTP port; services take consecutive ports. Default: 8001–8004.")
    ] = None,
    ready_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for every service to be ready.")
    ] = supervisor.READY_TIMEOUT_SECONDS,
) -> None:
    """Start NATS, Postgres and every service; Ctrl-C stops them all (or --detach and `regionet down`)."""
    options = supervisor.UpOptions(
        root=root,
        region=region,
        external=external,
        nats_port=nats_port,
        nats_monitor_port=nats_monitor_port,
        postgres_port=postgres_port,
        smtp_port=smtp_port,
        service_ports=supervisor.default_service_ports(service_port_base),
        ready_timeout=ready_timeout,
    )
    if detach:
        up_args = [
            "--root", str(root), "--region", region,
            "--nats-port", str(nats_port), "--nats-monitor-port", str(nats_monitor_port),
            "--postgres-port", str(postgres_port), "--smtp-port", str(smtp_port),
            "--ready-timeout", str(ready_timeout),
        ]  # fmt: skip
        if external:
            up_args.append("--external")
        if service_port_base is not None:
            up_args += ["--service-port-base", str(service_port_base)]
        console.print(f"[dim]starting in the background; it reports to {supervisor.supervisor_log_path(root)}[/dim]")
        endpoints = supervisor.start_in_background(root, up_args, ready_timeout)
        _show_endpoints(endpoints, root.resolve())
        console.print(f"Running in the background; stop it with: regionet down --root {root}")
        return
    deployment = supervisor.start(options, report=_report)
    _show_endpoints(deployment.endpoints, deployment.root)
    console.print("Running; press Ctrl-C to stop.")
    try:
        deployment.wait(report=_report)
    finally:
        console.print("Stopping…")
        stopped = deployment.stop()
        console.print(f"Stopped {', '.join(stopped) or 'nothing'}.")


@app.command()
def down(root: RootOption = DEFAULT_ROOT) -> None:
    """Stop everything `regionet up` started from ROOT."""
    stopped = supervisor.down(root)
    console.print(f"Stopped {', '.join(stopped)}." if stopped else f"Nothing was running from {root}.")


def _mark(ok: bool) -> str:
    return "[green]yes[/green]" if ok else "[red]no[/red]"


@app.command()
def status(
    root: RootOption = DEFAULT_ROOT,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show each service's /health and /ready; exits 1 unless everything is ready."""
    report = supervisor.status(root)
    endpoints = report.endpoints
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "region": endpoints.region,
                    "mode": endpoints.mode,
                    "nats": {"url": endpoints.nats_url, "reachable": report.nats_reachable},
                    "postgres": {"where": _where(endpoints.postgres_admin_url), "reachable": report.postgres_reachable},
                    "services": {
                        s.name: {
                            "url": s.url,
                            "pid": s.pid,
                            "running": s.running,
                            "healthy": s.healthy,
                            "ready": s.ready,
                            "restarts": s.restarts,
                            "gave_up": s.gave_up,
                        }
                        for s in report.services
                    },
                    "ready": report.all_ready,
                },
                indent=2,
            )
        )
    else:
        table = Table(title=f"Regionet {endpoints.region} ({endpoints.mode}), started {endpoints.started_at}")
        for column in ("service", "URL", "pid", "running", "healthy", "ready", "restarts"):
            table.add_column(column)
        for s in report.services:
            restarts = f"{s.restarts}, [red]gave up[/red]" if s.gave_up else str(s.restarts)
            table.add_row(s.name, s.url, str(s.pid), _mark(s.running), _mark(s.healthy), _mark(s.ready), restarts)
        console.print(table)
        console.print(
            f"NATS {endpoints.nats_url}: {_mark(report.nats_reachable)}   "
            f"Postgres {_where(endpoints.postgres_admin_url)}: {_mark(report.postgres_reachable)}"
        )
    if not report.all_ready:
        raise typer.Exit(1)


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="The caller's role.")],
    sub: Annotated[str, typer.Option(help="The caller's id (the token's subject).")],
    root: RootOption = DEFAULT_ROOT,
    region: RegionOption = "gld",
    ttl: Annotated[int, typer.Option(min=1, help="Seconds until the token expires.")] = 8 * 3600,
) -> None:
    """Print a development bearer token signed with the local deployment's secret."""
    secret = supervisor.jwt_secret(root, os.environ)
    signed = issue_token(
        secret, sub=sub, role=role, region=region, issuer=DEV_JWT_ISSUER, audience=JWT_AUDIENCE, ttl_seconds=ttl
    )
    typer.echo(signed)


@app.command()
def provision(
    region: RegionOption = "gld",
    replicas: Annotated[int, typer.Option(min=1, help="JetStream stream replicas (3 on a production cluster).")] = 1,
) -> None:
    """External mode: create roles and schemas, apply migrations, declare the JetStream streams, then exit.

    Reads REGIONET_ADMIN_DATABASE_URL, REGIONET_NATS_URL, REGIONET_NATS_ADMIN_USER/_PASSWORD and,
    per service, REGIONET_<SVC>_DB_PASSWORD and REGIONET_<SVC>_NATS_PASSWORD.
    """
    supervisor.run_provision(region, replicas, os.environ)
    console.print(f"Provisioned the database, the services' schemas and the JetStream streams of region {region}.")


def service_command_groups() -> dict[str, typer.Typer]:
    """The command groups that services add to ``regionet``, by name, in the registry's order."""
    groups: dict[str, typer.Typer] = {}
    for spec in SERVICES.values():
        module = spec.part("cli")
        if module is None:
            continue
        group: typer.Typer = module.app
        groups[group.info.name or spec.name] = group
    return groups


app.add_typer(dlq_app, name="dlq")
for group_name, group in service_command_groups().items():
    app.add_typer(group, name=group_name)
app.command("demo")(demo)


def main() -> None:
    """Entry point of the ``regionet`` command."""
    try:
        app()
    except StartupError as exc:
        errors.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        if exc.detail:
            errors.print(exc.detail, markup=False, highlight=False)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
