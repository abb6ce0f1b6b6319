"""The WS API v1 routes the sandbox serves (under ``/api``), in the manager's JSON shapes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from wsbridge_sandbox.core import Sandbox
from wsbridge_sandbox.http import bad_request, int_list, json_response, not_found
from wsbridge_sandbox.requests import Handler, body, flag, number, sandbox
from wsbridge_sandbox.search import search
from wsbridge_sandbox.subresources import assignments, settings
from wsbridge_sandbox.views import computer_view, expanded_sections, policy_view

LISTS = {
    "intrusionpreventionrules": ("intrusionPreventionRules", "intrusion prevention rule", "rules"),
    "applicationtypes": ("applicationTypes", "application type", "application_types"),
}


async def search_computers(request: web.Request) -> web.Response:
    """``POST /computers/search``."""
    sb = sandbox(request)
    found = search(sb.world.computers.values(), body(request), sb.faults.unsearchable_fields)
    return json_response({"computers": _computer_views(request, [obj["ID"] for obj in found])})


async def list_computers(request: web.Request) -> web.Response:
    """``GET /computers``."""
    return json_response({"computers": _computer_views(request, sorted(sandbox(request).world.computers))})


async def get_computer(request: web.Request) -> web.Response:
    """``GET /computers/{id}``."""
    return json_response(_computer_views(request, [number(request)])[0])


async def modify_computer(request: web.Request) -> web.Response:
    """``POST /computers/{id}`` with a partial computer."""
    sb = sandbox(request)
    _modify(sb, sb.world.computer(number(request)), body(request))
    return json_response(_computer_views(request, [number(request)])[0])


async def search_policies(request: web.Request) -> web.Response:
    """``POST /policies/search``."""
    sb = sandbox(request)
    views = [policy_view(sb.world, pid, overrides=flag(request, "overrides")) for pid in sorted(sb.world.policies)]
    return json_response({"policies": search(views, body(request), sb.faults.unsearchable_fields)})


async def list_policies(request: web.Request) -> web.Response:
    """``GET /policies``."""
    sb = sandbox(request)
    overrides = flag(request, "overrides")
    return json_response(
        {"policies": [policy_view(sb.world, pid, overrides=overrides) for pid in sorted(sb.world.policies)]}
    )


async def get_policy(request: web.Request) -> web.Response:
    """``GET /policies/{id}``."""
    return json_response(policy_view(sandbox(request).world, number(request), overrides=flag(request, "overrides")))


async def modify_policy(request: web.Request) -> web.Response:
    """``POST /policies/{id}`` with a partial policy."""
    sb = sandbox(request)
    _modify(sb, sb.world.policy(number(request)), body(request))
    return json_response(policy_view(sb.world, number(request)))


def catalogue(resource: str) -> dict[str, Handler]:
    """List, search and get of a read-only resource (IPS rules, application types)."""
    wrapper, label, attribute = LISTS[resource]

    def table(request: web.Request) -> dict[int, dict[str, Any]]:
        table_: dict[int, dict[str, Any]] = getattr(sandbox(request).world, attribute)
        return table_

    async def list_(request: web.Request) -> web.Response:
        objects = table(request)
        return json_response({wrapper: [objects[key] for key in sorted(objects)]})

    async def search_(request: web.Request) -> web.Response:
        found = search(table(request).values(), body(request), sandbox(request).faults.unsearchable_fields)
        return json_response({wrapper: found})

    async def get(request: web.Request) -> web.Response:
        obj = table(request).get(number(request))
        if obj is None:
            raise not_found(label)
        return json_response(obj)

    return {"list": list_, "search": search_, "get": get}


async def create_task(request: web.Request) -> web.Response:
    """``POST /scheduledtasks``."""
    return json_response(sandbox(request).tasks.create(body(request)))


async def list_tasks(request: web.Request) -> web.Response:
    """``GET /scheduledtasks``."""
    tasks = sandbox(request).world.tasks
    return json_response({"scheduledTasks": [tasks[key] for key in sorted(tasks)]})


async def search_tasks(request: web.Request) -> web.Response:
    """``POST /scheduledtasks/search``."""
    sb = sandbox(request)
    return json_response(
        {"scheduledTasks": search(sb.world.tasks.values(), body(request), sb.faults.unsearchable_fields)}
    )


async def get_task(request: web.Request) -> web.Response:
    """``GET /scheduledtasks/{id}``."""
    return json_response(sandbox(request).tasks.task(number(request)))


async def modify_task(request: web.Request) -> web.Response:
    """``POST /scheduledtasks/{id}`` (``{"runNow": true}`` runs it again)."""
    return json_response(sandbox(request).tasks.modify(number(request), body(request)))


async def delete_task(request: web.Request) -> web.Response:
    """``DELETE /scheduledtasks/{id}``."""
    sandbox(request).tasks.delete(number(request))
    return web.Response(status=204)


def add_api_routes(app: web.Application, prefix: str = "/api") -> None:
    """Register every API route under ``prefix``."""
    router = app.router
    for owner, search_, list_, get_, modify_ in (
        ("computers", search_computers, list_computers, get_computer, modify_computer),
        ("policies", search_policies, list_policies, get_policy, modify_policy),
    ):
        base = f"{prefix}/{owner}"
        router.add_post(f"{base}/search", search_)
        router.add_get(base, list_)
        router.add_get(base + r"/{id:\d+}", get_)
        router.add_post(base + r"/{id:\d+}", modify_)
        for method, handler in settings(owner).items():
            router.add_route(method, base + r"/{id:\d+}/settings/{name}", handler)
        handlers = assignments(owner)
        for method in ("GET", "POST", "PUT"):
            router.add_route(method, base + r"/{id:\d+}/intrusionprevention/assignments", handlers[method])
        router.add_delete(base + r"/{id:\d+}/intrusionprevention/assignments/{rule:\d+}", handlers["DELETE"])
    for resource in LISTS:
        handlers = catalogue(resource)
        router.add_get(f"{prefix}/{resource}", handlers["list"])
        router.add_post(f"{prefix}/{resource}/search", handlers["search"])
        router.add_get(f"{prefix}/{resource}" + r"/{id:\d+}", handlers["get"])
    tasks = f"{prefix}/scheduledtasks"
    router.add_post(tasks, create_task)
    router.add_get(tasks, list_tasks)
    router.add_post(f"{tasks}/search", search_tasks)
    router.add_get(tasks + r"/{id:\d+}", get_task)
    router.add_post(tasks + r"/{id:\d+}", modify_task)
    router.add_delete(tasks + r"/{id:\d+}", delete_task)


def _computer_views(request: web.Request, ids: list[int]) -> list[dict[str, Any]]:
    world = sandbox(request).world
    sections = expanded_sections(request.query.getall("expand", []))
    overrides = flag(request, "overrides")
    return [computer_view(world, cid, sections, overrides=overrides) for cid in ids]


def _modify(sb: Sandbox, obj: dict[str, Any], data: Any) -> None:
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.")
    changes = {key: value for key, value in data.items() if key != "ID"}
    rules = (changes.get("intrusionPrevention") or {}).get("ruleIDs")
    if rules is not None:
        sb.world.with_dependencies(set(int_list(rules, "intrusionPrevention.ruleIDs")))
    _merge(obj, changes)
    if rules is not None:
        sb.world.set_own_rules(obj, sb.world.with_dependencies(set(rules)))


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
