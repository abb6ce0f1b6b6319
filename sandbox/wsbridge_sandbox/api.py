"""The WS API v1 routes the sandbox serves (under ``/api``), in the manager's JSON shapes."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from aiohttp import web

from wsbridge_sandbox.core import Sandbox
from wsbridge_sandbox.http import bad_request, int_list, json_response, not_found
from wsbridge_sandbox.requests import Handler, body, flag, number, sandbox
from wsbridge_sandbox.schema import request_problems
from wsbridge_sandbox.search import search
from wsbridge_sandbox.state import RULE_MODULES
from wsbridge_sandbox.subresources import assignments, default_policy, default_policy_settings, settings
from wsbridge_sandbox.views import computer_view, expanded_sections, policy_view

LISTS = {
    "intrusionpreventionrules": ("intrusionPreventionRules", "intrusion prevention rule", "rules"),
    "applicationtypes": ("applicationTypes", "application type", "application_types"),
}


async def search_computers(request: web.Request) -> web.Response:
    """``POST /computers/search``."""
    sb = sandbox(request)
    found = search(
        sb.world.computers.values(), body(request), sb.faults.unsearchable_fields, index=sb.world.computer_index
    )
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
    sb.world.computer_index.invalidate()
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
    """Register every API route under ``prefix``, each refusing what the manager refuses (:mod:`.schema`)."""
    add = partial(_add, app.router, prefix)
    for owner, search_, list_, get_, modify_ in (
        ("computers", search_computers, list_computers, get_computer, modify_computer),
        ("policies", search_policies, list_policies, get_policy, modify_policy),
    ):
        one = f"/{owner}/{{{'computerID' if owner == 'computers' else 'policyID'}}}"
        add("POST", f"/{owner}/search", search_)
        add("GET", f"/{owner}", list_)
        add("GET", one, get_)
        add("POST", one, modify_)
        for method, handler in settings(owner).items():
            add(method, one + "/settings/{name}", handler)
        for module in RULE_MODULES:
            handlers, path = assignments(owner, module), f"{one}/{module.lower()}/assignments"
            for method in ("GET", "POST", "PUT"):
                add(method, path, handlers[method])
            add("DELETE", f"{path}/{{{module}RuleID}}", handlers["DELETE"])
    for method, handler in default_policy().items():
        add(method, "/policies/default", handler)
    for method, handler in default_policy_settings().items():
        add(method, "/policies/default/settings/{name}", handler)
    for resource, one in (
        ("intrusionpreventionrules", "{intrusionPreventionRuleID}"),
        ("applicationtypes", "{applicationTypeID}"),
    ):
        handlers = catalogue(resource)
        add("GET", f"/{resource}", handlers["list"])
        add("POST", f"/{resource}/search", handlers["search"])
        add("GET", f"/{resource}/{one}", handlers["get"])
    add("POST", "/scheduledtasks", create_task)
    add("GET", "/scheduledtasks", list_tasks)
    add("POST", "/scheduledtasks/search", search_tasks)
    add("GET", "/scheduledtasks/{scheduledTaskID}", get_task)
    add("POST", "/scheduledtasks/{scheduledTaskID}", modify_task)
    add("DELETE", "/scheduledtasks/{scheduledTaskID}", delete_task)


def _add(router: web.UrlDispatcher, prefix: str, method: str, template: str, handler: Handler) -> None:
    """Serve the SDK route ``method template``; path numbers are ``id`` (and ``rule``) for the handlers."""
    names = iter((r"id:\d+", r"rule:\d+"))
    path = re.sub(r"\{\w+ID\}", lambda _: "{" + next(names) + "}", template)
    router.add_route(method, prefix + path, strict(f"{method} {template}", handler))


def strict(route: str, handler: Handler) -> Handler:
    """``handler`` behind the manager's request validation: 400 for what the API definition does not allow."""

    async def checked(request: web.Request) -> web.StreamResponse:
        query = {name: request.query.getall(name) for name in request.query}
        problems = request_problems(route, query, body(request))
        if problems:
            raise bad_request("; ".join(problems[:5]))
        return await handler(request)

    return checked


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
