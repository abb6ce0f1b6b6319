"""``wsbridge check``: every dependency the daemon needs, each with a one-line verdict."""

from __future__ import annotations

from wsbridge.consumer.daemon import handler_registry, runtime
from wsbridge.consumer.readiness import readiness_probe
from wsbridge.consumer.settings import Settings, StartupError
from wsbridge.consumer.settlement import dead_letter_queue_url


async def run_checks(settings: Settings) -> list[tuple[str, str | None]]:
    """Return (check name, problem or ``None``) for settings, handlers, SQS, the DLQ and the WS API."""
    results: list[tuple[str, str | None]] = [("settings", None)]
    try:
        registry = handler_registry(settings)
        results.append((f"handlers ({len(registry.registrations())} detail-types)", None))
    except Exception as error:
        return [*results, ("handlers", str(error))]
    try:
        async with runtime(settings) as rt:
            sqs = await rt.aws.client("sqs")
            failing = await readiness_probe(settings, sqs, rt.services.ws)()
            results.append(("sqs queue", failing.get("sqs")))
            try:
                results.append((f"dead-letter queue {await dead_letter_queue_url(settings, sqs)}", None))
            except StartupError as error:
                results.append(("dead-letter queue", str(error)))
            results.append(("workload security api", failing.get("workload_security")))
    except StartupError as error:
        results.append(("startup", str(error)))
    return results
