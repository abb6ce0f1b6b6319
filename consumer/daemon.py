"""Wires settings, clients, pipeline, middleware, poller and health server into the running daemon."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson
import structlog

from wsbridge.consumer.aws import AwsClients
from wsbridge.consumer.dispatch import Registry
from wsbridge.consumer.event_loop import running_loop
from wsbridge.consumer.executor import Executor
from wsbridge.consumer.middleware import MiddlewareChain, daemon_middleware
from wsbridge.consumer.notify import ChannelNotifier
from wsbridge.consumer.pipeline import Pipeline
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import Settings, StartupError
from wsbridge.consumer.settlement import redrive
from wsbridge.consumer.state import fleet_budget, open_store

if TYPE_CHECKING:
    from wsbridge.consumer.workload_security import WorkloadSecurityClient
    from wsbridge.consumer.workload_security.auth import KeySource
    from wsbridge.consumer.workload_security.ratelimit import CallBudget


@dataclass
class Runtime:
    """Everything a running daemon (or ``replay``/``check``) works with."""

    settings: Settings
    registry: Registry
    aws: AwsClients
    services: Services
    pipeline: Pipeline
    executor: Executor
    middleware: MiddlewareChain


def handler_registry(settings: Settings) -> Registry:
    """The registry with each handler's policy table from the handler TOML file."""
    policies = settings.handler_policies().get("handlers", {})
    return Registry.from_entry_points(policies, settings.enabled_handlers)


async def resolve_api_key(settings: Settings, aws: AwsClients) -> str | None:
    """The WS API key from the environment or Secrets Manager (JSON secrets may hold ``api_key``)."""
    if settings.ws_api_key is not None:
        return settings.ws_api_key.get_secret_value()
    if settings.ws_api_key_secret_id is None:
        return None
    return await read_secret_key(settings.ws_api_key_secret_id, aws)


async def read_secret_key(secret_id: str, aws: AwsClients) -> str:
    """The key held by the Secrets Manager secret ``secret_id``; :class:`StartupError` when unreadable."""
    client = await aws.client("secretsmanager")
    try:
        secret = await client.get_secret_value(SecretId=secret_id)
    except Exception as error:
        raise StartupError(f"cannot read the WS API key secret: {type(error).__name__}") from None
    text = str(secret.get("SecretString", ""))
    if text.startswith("{"):
        value: Any = orjson.loads(text)
        text = str(value.get("api_key") or value.get("apiKey") or "")
    if not text:
        raise StartupError("the WS API key secret is empty")
    return text


def key_source(settings: Settings, aws: AwsClients) -> KeySource | None:
    """Reads the secret again (a rotated key needs no restart); ``None`` for a key from the environment."""
    secret_id = settings.ws_api_key_secret_id
    if secret_id is None:
        return None
    return partial(read_secret_key, secret_id, aws)


def workload_security_client(
    settings: Settings,
    api_key: str | None,
    budget: CallBudget | None = None,
    source: KeySource | None = None,
) -> WorkloadSecurityClient | None:
    """A WS client when a key is configured, else ``None`` (plans that need WS then retry)."""
    if api_key is None:
        return None
    from wsbridge.consumer.workload_security import WorkloadSecurityClient

    return WorkloadSecurityClient.from_settings(settings, api_key=api_key, budget=budget, key_source=source)


@asynccontextmanager
async def runtime(settings: Settings, *, dry_run: bool | None = None) -> AsyncIterator[Runtime]:
    """Build the clients and pipeline; close everything on exit."""
    registry = handler_registry(settings)
    async with AsyncExitStack() as stack:
        aws = await stack.enter_async_context(AwsClients(settings))
        budget = await fleet_budget(settings, aws)
        api_key = await resolve_api_key(settings, aws)
        ws = workload_security_client(settings, api_key, budget, key_source(settings, aws))
        if ws is not None:
            stack.push_async_callback(ws.close)
        notifier = ChannelNotifier.from_settings(settings, aws)
        if notifier is not None:
            stack.push_async_callback(notifier.close)
        services = Services(ws=ws, aws=aws, notify=notifier)
        store = await open_store(settings, aws)
        middleware = daemon_middleware(settings, services)
        executor = Executor(
            services,
            store,
            settings.coalesce_window_seconds,
            settings.dry_run if dry_run is None else dry_run,
            on_action=middleware.after_action,
        )
        pipeline = Pipeline(settings, registry, store, services, executor)
        yield Runtime(settings, registry, aws, services, pipeline, executor, middleware)


async def serve(settings: Settings) -> None:
    """Run the daemon until SIGTERM or SIGINT, then drain and return."""
    from wsbridge.consumer.heap import settle_after_start_up
    from wsbridge.consumer.http_server import HealthServer
    from wsbridge.consumer.poller import Poller
    from wsbridge.consumer.readiness import readiness_probe
    from wsbridge.consumer.sqs import BatchDeleter, QueueClient

    log = structlog.get_logger("wsbridge")
    async with runtime(settings) as rt:
        sqs = await rt.aws.client("sqs")
        middleware = rt.middleware
        dead_letters = await redrive(settings, sqs)
        queue = QueueClient(
            sqs,
            settings.queue_url,
            dead_letters.dlq_url,
            on_error=middleware.after_queue_error,
            max_receive_count=dead_letters.max_receive_count,
        )
        deleter = BatchDeleter(sqs, settings.queue_url, on_error=middleware.after_queue_error)
        ws = rt.services.ws
        poller = Poller(settings, queue, deleter, rt.pipeline, middleware)
        server = HealthServer(
            alive=lambda: poller.alive(settings.health_max_poll_age_seconds),
            ready=readiness_probe(settings, sqs, ws),
        )
        port = await server.start(settings.metrics_host, settings.metrics_port)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, _on_signal(poller, log, signum))
        log.info(
            "started",
            queue_url=settings.queue_url,
            dlq_url=queue.dlq_url,
            handlers=len(rt.registry.registrations()),
            concurrency=settings.concurrency,
            poll_loops=settings.poll_loops,
            metrics_port=port,
            dry_run=rt.executor.dry_run,
            workload_security=settings.ws_url if ws is not None else None,
            event_loop=running_loop().value,
        )
        await middleware.startup()
        settle_after_start_up()
        try:
            await poller.run()
        finally:
            if ws is not None:
                await ws.flush_task_cleanup(poller.drain_time_left())
            await middleware.shutdown()
            await server.stop()
        log.info("stopped")


def _on_signal(poller: Any, log: Any, signum: int) -> Any:
    def handle() -> None:
        poller.stop()
        with contextlib.suppress(Exception):
            log.info("stopping", signal=signal.Signals(signum).name)

    return handle
