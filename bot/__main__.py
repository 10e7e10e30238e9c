"""The `watchbot` command line. The only place that turns errors into exit codes."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.chat.markdown import render
from bot.config import Settings, load_settings, parse_duration
from bot.core.command_args import MAX_DIGEST_CAP
from bot.core.digest import DigestLimit
from bot.core.errors import CommandError, ConfigError, WatchbotError
from bot.core.explain import explain_item
from bot.core.models import TOPICS, FeedSpec
from bot.ingest.localfiles import folder_limit_note
from bot.logs import setup_logging
from bot.progress import TerminalProgress

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Watchbot: topic alerts for Ukraine security news.",
)
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (default: $WATCHBOT_CONFIG or config/watchbot.toml)."
    ),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"watchbot: {message}", err=True)
    return typer.Exit(code)


def _settings(config: Path | None) -> Settings:
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    secrets = [
        s.get_secret_value()
        for s in vars(settings.secrets).values()
        if hasattr(s, "get_secret_value")
    ]
    setup_logging(secrets)
    return settings


def _app(config: Path | None, *, load_model: bool = False, workers: int | None = None) -> App:
    """The composed app. One-shot commands load the model when they first classify (most never
    do); the daemon loads it at start, so its first poll is not the one that waits. `workers`
    replaces the configuration's `polling.parse_workers`."""
    # Here, not at module level: the composition root imports the store, the classifier and the
    # analysis libraries, which `classify`, `eval`, `train` and `backup` do not need.
    from bot.app import build_app
    from bot.classify.loader import load_classifier

    settings = _settings(config)
    if workers is not None:
        polling = settings.polling.model_copy(update={"parse_workers": workers})
        settings = settings.model_copy(update={"polling": polling})
    try:
        classifier = load_classifier(
            settings.classifier.model, settings.classifier.thresholds, lazy=not load_model
        )
        app = build_app(settings, classifier=classifier)
        app.sync_config()
    except WatchbotError as exc:
        raise _fail(str(exc), 2) from None
    # What start-up loaded (libraries, the model, its vocabulary) lives as long as the process:
    # out of the collector's generations, collections walk only what the work allocates (a
    # 10,000-item digest builds 30% faster).
    gc.freeze()
    return app


def _run(app: App, coro: Any) -> Any:
    async def main() -> Any:
        try:
            return await coro
        finally:
            await app.aclose()

    try:
        return asyncio.run(main())
    except CommandError as exc:
        raise _fail(str(exc)) from None
    except WatchbotError as exc:
        raise _fail(str(exc)) from None


@cli.command()
def run(config: ConfigOpt = None) -> None:
    """Run the bot: poll feeds and seeds, send alerts and digests, serve /healthz and /metrics."""
    from bot.schedule import Daemon
    from bot.web import WebServer, make_web_app

    app = _app(config, load_model=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        extensions = [ext for adapter in app.adapters for ext in adapter.web_extensions()]
        web_app = make_web_app(app.store, extensions=extensions)
        server = WebServer(web_app, app.settings.http.host, app.settings.http.port)
        try:
            await server.start()
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {app.settings.http.host}:{app.settings.http.port} ({exc.strerror}); "
                "set WATCHBOT_HTTP_PORT or [http] port"
            ) from None
        try:
            daemon = Daemon(app, first_progress=TerminalProgress("first poll"))
            await daemon.run(stop)  # it starts the chat adapters while this replica leads
        finally:
            for adapter in app.adapters:
                await adapter.stop()
            await server.stop()

    _run(app, main())


@cli.command()
def poll(
    config: ConfigOpt = None,
    once: Annotated[bool, typer.Option("--once", help="Poll once and exit (the default).")] = True,
    due: Annotated[bool, typer.Option("--due", help="Only feeds that are due, not all.")] = False,
) -> None:
    """Poll every feed once, store what is new, send alerts, and print a summary."""
    app = _app(config)

    async def main() -> int:
        ids = None if due else [f.id for f in app.store.list_feeds() if not f.disabled]
        report = await app.poll(feed_ids=ids)
        await app.flush()
        for r in report.results:
            state = (
                f"error: {r.error}"
                if r.error
                else (
                    "not modified"
                    if r.not_modified
                    else f"{r.new} new, {r.updated} updated, {r.alerts} alert(s)"
                )
            )
            typer.echo(f"#{r.feed_id} {r.name}: {state}", err=True)
        typer.echo(
            f"{report.new_items} new item(s), {len(report.failures)} feed error(s)", err=True
        )
        return 0

    _run(app, main())


@cli.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Feed files, text documents or folders.")],
    config: ConfigOpt = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=64,
            help="Processes that classify beside this one (default: one per CPU, up to "
            f"{MAX_INGEST_WORKERS}, on a machine with more than one; 0: none).",
        ),
    ] = None,
) -> None:
    """Ingest local feed files or text documents (or folders of them) like a feed."""
    # A one-off bulk job: unlike the daemon (polling.parse_workers, 0 as shipped), it uses the
    # machine's cores by default — classification, most of its time, runs in the pool.
    app = _app(config, workers=default_ingest_workers() if workers is None else workers)

    async def main() -> int:
        ids = []
        known = {f.url: f for f in app.store.list_feeds()}
        left_out = 0
        for path in paths:
            url = f"local:{path.resolve()}"
            # Said before the poll, and counted in the exit code: nothing is dropped silently.
            note = folder_limit_note(path, app.settings.polling.max_entries)
            if note:
                typer.echo(f"watchbot: {path}: {note}", err=True)
                left_out += 1
            feed = known.get(url) or app.store.add_feed(
                FeedSpec(url=url, name=path.name, poll_interval_s=86400, kind="local"),
                app.clock.now(),
                added_by="cli",
            )
            ids.append(feed.id)
        report = await app.poll(feed_ids=ids, progress=TerminalProgress("ingest"))
        await app.flush()
        for r in report.results:
            if r.error:
                typer.echo(f"watchbot: {r.name}: {r.error}", err=True)
            else:
                typer.echo(f"{r.name}: {r.new} new, {r.updated} updated, {r.unchanged} unchanged")
        return 1 if report.failures or left_out else 0

    if _run(app, main()):
        raise typer.Exit(1)


MAX_INGEST_WORKERS = 4  # past this, the main process (stories, storing) is what waits


def default_ingest_workers() -> int:
    """Workers of `watchbot ingest` when not told: one per CPU (at most 4), none on one CPU."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 0 if not cpus or cpus < 2 else min(cpus, MAX_INGEST_WORKERS)


def _since(value: str | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    if value == "all":
        return datetime(1970, 1, 1, tzinfo=UTC)
    try:
        return now - timedelta(seconds=parse_duration(value))
    except ValueError as exc:
        raise _fail(f"--since: {exc} (or `all`)", 2) from None


@cli.command()
def digest(
    config: ConfigOpt = None,
    channel: Annotated[str | None, typer.Option(help="Channel name (default: the first).")] = None,
    since: Annotated[
        str | None, typer.Option(help="Window: 24h, 7d or all (default: since the last digest).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print it here; record and send nothing.")
    ] = False,
    all_stories: Annotated[
        bool, typer.Option("--all", help="Every story, past the channel's digest cap.")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, max=MAX_DIGEST_CAP, help="At most N stories a topic, this once."
        ),
    ] = None,
) -> None:
    """Build a channel's digest now and send it (or print it with --dry-run)."""
    if all_stories and limit is not None:
        raise _fail("--all and --limit exclude each other: choose one", 2)
    cap: DigestLimit = "all" if all_stories else limit
    app = _app(config)
    channels = app.store.list_channels()
    chosen = next((c for c in channels if channel in (None, c.name)), None)
    if chosen is None:
        names = ", ".join(c.name for c in channels) or "none configured"
        raise _fail(f"no channel named {channel!r} (channels: {names})", 2)
    now = app.clock.now()
    start = _since(since, now)

    async def main() -> int:
        if dry_run:
            message = app.digests.collect(
                chosen, since=start or chosen.last_digest_at, until=now, limit=cap
            )
            typer.echo(render(message))
            return 0
        if app.digests.record(chosen.ref, now, since=start, limit=cap) is None:
            typer.echo(f"No new items for {chosen.name} in this window.", err=True)
            return 0
        report = await app.flush()
        typer.echo(f"digest sent to {chosen.name} ({report.sent} message(s))", err=True)
        return 0

    _run(app, main())


@cli.command()
def items(
    config: ConfigOpt = None,
    topic: Annotated[
        str | None, typer.Option(help=f"Only items matching: {', '.join(TOPICS)}.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
) -> None:
    """List stored items, newest first."""
    if topic is not None and topic not in TOPICS:
        raise _fail(f"--topic: unknown topic {topic!r} (topics: {', '.join(TOPICS)})", 2)
    app = _app(config)
    try:
        for item in app.store.recent_items(limit, topic):
            c = item.classification
            if as_json:
                typer.echo(
                    json.dumps(
                        {
                            "id": item.id,
                            "title": item.title,
                            "url": item.url,
                            "published": item.published_at.isoformat(),
                            "source": item.source,
                            "labels": c.labels if c else {},
                            "scores": c.scores if c else {},
                            "model_version": c.model_version if c else None,
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                tags = ",".join(c.matched()) if c else ""
                typer.echo(
                    f"#{item.id:<5} {item.published_at:%Y-%m-%d} {tags or '-':<18} {item.title}"
                )
    finally:
        app.store.close()


@cli.command()
def timeline(
    config: ConfigOpt = None,
    actor: Annotated[
        str | None, typer.Option(help="A speaker or country: Macron, the Kremlin, US, UK...")
    ] = None,
    topic: Annotated[str | None, typer.Option(help=f"One of: {', '.join(TOPICS)}.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 500,
) -> None:
    """Who said what on troops and guarantees: stored statements, oldest first."""
    from bot.core.timeline import find_statements, timeline_reply

    if topic is not None and topic not in TOPICS:
        raise _fail(f"--topic: unknown topic {topic!r} (topics: {', '.join(TOPICS)})", 2)
    app = _app(config)
    try:
        if app.analysis is None or app.stances is None:
            raise _fail("this store keeps no statements", 2)
        found = find_statements(app.analysis, app.stances, actor, topic, limit)
        if not as_json:
            typer.echo(render(timeline_reply(found, actor or "", topic)))
        for s in found if as_json else ():
            record = {
                "speaker": s.speaker,
                "stance": s.stance,
                "topic": s.topic,
                "date": s.said_at.date().isoformat(),
                "item_id": s.item_id,
                "sentence": s.sentence,
                "country": s.country,
                "on_behalf_of": s.on_behalf_of or None,
                "via": s.via or None,
            }
            typer.echo(json.dumps(record, ensure_ascii=False))
    except CommandError as exc:
        raise _fail(str(exc), 2) from None
    finally:
        app.store.close()


@cli.command()
def status(config: ConfigOpt = None) -> None:
    """Feeds and their health, the outbox, next digests and the model version."""
    _console_command("status", config)


@cli.command()
def command(
    line: Annotated[str, typer.Argument(help='A /watch command line, e.g. "feed add URL".')],
    config: ConfigOpt = None,
    channel: Annotated[
        str | None, typer.Option(help="Act as in this channel (default: the first).")
    ] = None,
) -> None:
    """Run a /watch command from the shell, as an admin of the console, and print the reply."""
    _console_command(line, config, channel)


feeds_cli = typer.Typer(no_args_is_help=True, help="Import or export the feed list (OPML 2.0).")
cli.add_typer(feeds_cli, name="feeds")


@feeds_cli.command("import")
def feeds_import(
    file: Annotated[Path, typer.Argument(help="An OPML file, as feed readers export it.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be added; change nothing.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Add the feeds of an OPML file (folders become tags); all of them or, on any problem, none."""
    from bot.core.models import Upload
    from bot.ingest.opml import MAX_BYTES

    try:
        with file.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)  # the codec refuses an oversized file by its length
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror or exc}", 2) from None
    line = "feed import --dry-run" if dry_run else "feed import"
    _console_command(line, config, upload=Upload(file.name, data))


@feeds_cli.command("export")
def feeds_export(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write the OPML file (default: stdout).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Write every watched feed as OPML 2.0 (first tag as folder, all tags in `category`)."""
    from bot.core.messages import ErrorReply, TextReply

    app = _app(config)
    reply = _run(app, app.commands.execute("feed export", _console_context(app, None)))
    if isinstance(reply, ErrorReply) or not isinstance(reply, TextReply):
        raise _fail(getattr(reply, "text", "export failed").replace("\n", " — "))
    [attachment] = reply.attachments
    if file is None:
        sys.stdout.buffer.write(attachment.data)
        sys.stdout.flush()
        typer.echo(reply.text, err=True)
        return
    try:
        file.write_bytes(attachment.data)
    except OSError as exc:
        raise _fail(f"cannot write {file}: {exc.strerror or exc}", 2) from None
    typer.echo(reply.text.replace(attachment.filename, str(file)))


def _console_context(app: App, channel: str | None, upload: Any = None) -> Any:
    """The console admin's command context, in the named channel (default: the first)."""
    from bot.core.commands import CommandContext

    channels = app.store.list_channels()
    chosen = next((c for c in channels if channel in (None, c.name)), None)
    if channel is not None and chosen is None:
        raise _fail(f"no channel named {channel!r}", 2)
    return CommandContext(
        channel_ref=chosen.ref if chosen else "console:console",
        channel_name=chosen.name if chosen else "console",
        user="console",
        is_admin=True,
        upload=upload,
    )


def _console_command(
    line: str, config: Path | None, channel: str | None = None, *, upload: Any = None
) -> None:
    from bot.core.messages import ErrorReply

    app = _app(config)
    ctx = _console_context(app, channel, upload)
    reply = _run(app, app.commands.execute(line, ctx))
    if isinstance(reply, ErrorReply):
        raise _fail(reply.text.replace("\n", " — "))
    typer.echo(render(reply))


@cli.command()
def why(
    item_id: Annotated[int, typer.Argument(help="Item number, as shown by `items`.")],
    config: ConfigOpt = None,
) -> None:
    """Why an item matched (or not), and why it was or was not delivered to each channel."""
    app = _app(config)
    try:
        typer.echo(render(explain_item(app.store, item_id, app.store.list_channels())))
    except CommandError as exc:
        raise _fail(str(exc)) from None
    finally:
        app.store.close()


@cli.command()
def classify(
    file: Annotated[
        Path | None, typer.Argument(help="JSON lines {id, title, text}; stdin if omitted.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Classify JSON lines: prints {id, labels, scores, why} per line; bad lines go to stderr, exit 1."""
    from bot.classify.loader import load_classifier

    settings = _settings(config)
    try:
        classifier = load_classifier(settings.classifier.model, settings.classifier.thresholds)
    except WatchbotError as exc:
        raise _fail(str(exc), 2) from None
    try:
        stream = file.open(encoding="utf-8") if file else sys.stdin
    except OSError as exc:
        raise _fail(f"{file}: {exc.strerror}", 2) from None
    bad = 0
    with stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                if not isinstance(doc, dict) or "id" not in doc:
                    raise ValueError("expected an object with id, title and text")
                title, text = doc.get("title", ""), doc.get("text", "")
                if not isinstance(title, str) or not isinstance(text, str):
                    raise ValueError("title and text must be strings")
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                typer.echo(f"watchbot classify: line {number}: {exc}", err=True)
                bad += 1
                continue
            result = classifier.classify(title, text)
            typer.echo(
                json.dumps(
                    {
                        "id": doc["id"],
                        "labels": result.labels,
                        "scores": result.scores,
                        "why": [
                            w
                            for t in TOPICS
                            if result.labels.get(t)
                            for w in result.why.get(t, [])[:1]
                        ],
                    },
                    ensure_ascii=False,
                )
            )
    if bad:
        raise typer.Exit(1)


@cli.command()
def train(
    config: ConfigOpt = None,
    corpus: Annotated[Path, typer.Option(help="Folder of labelled JSON-lines files.")] = Path(
        "corpus"
    ),
    out: Annotated[
        Path | None, typer.Option(help="Model folder to write (default: the shipped one).")
    ] = None,
    feedback: Annotated[
        bool, typer.Option(help="Also learn from feedback stored from chat.")
    ] = True,
) -> None:
    """Train the topic classifier reproducibly; prints held-out figures (feedback never in them)."""
    from bot.classify.cli import run_train
    from bot.classify.modeldir import MODEL_DIR

    settings = _settings(config)
    store = None
    try:
        if feedback:
            from bot.store.sql import SqlStore

            store = SqlStore(settings.storage.url)
        report = run_train(corpus, out or MODEL_DIR, store, TerminalProgress("train"))
    except WatchbotError as exc:
        raise _fail(str(exc), 2) from None
    finally:
        if store is not None:
            store.close()
    typer.echo(report.summary())


@cli.command("eval")
def evaluate(
    file: Annotated[
        Path | None,
        typer.Argument(help="JSON lines with gold labels (default: the held-out split)."),
    ] = None,
    model: Annotated[
        Path | None, typer.Option(help="Model folder (default: the shipped one).")
    ] = None,
) -> None:
    """Precision, recall and F1 per label: trained model vs rules vs a keyword filter."""
    from bot.classify.cli import run_eval

    setup_logging()
    try:
        typer.echo(run_eval(model, file))
    except WatchbotError as exc:
        raise _fail(str(exc), 2) from None


@cli.command()
def backup(
    target: Annotated[Path, typer.Argument(help="File to write the copy to (must not exist).")],
    config: ConfigOpt = None,
) -> None:
    """Copy the SQLite database while the bot runs (restore: stop the bot, copy the file back)."""
    from bot.store.backup import backup_sqlite

    settings = _settings(config)
    try:
        size = backup_sqlite(settings.storage.url, target)
    except WatchbotError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"backed up {size} bytes to {target}")


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
