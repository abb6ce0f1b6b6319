"""Per-object sub-resources: rule assignments (IPS, integrity monitoring, log inspection) and single
settings of computers and policies."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from wsbridge_sandbox.http import bad_request, int_list, json_response
from wsbridge_sandbox.requests import Handler, body, flag, number, sandbox
from wsbridge_sandbox.state import DEFAULT_SETTINGS, IPS
from wsbridge_sandbox.views import assignments_view


def assignments(owner: str, module: str = IPS) -> dict[str, Handler]:
    """GET (list), POST (add), PUT (replace), DELETE (one rule) of ``/{owner}/{id}/{module}/assignments``
    (``module`` is the section name, ``intrusionPrevention``; the path has it in lower case)."""

    def target(request: web.Request) -> dict[str, Any]:
        world = sandbox(request).world
        return world.computer(number(request)) if owner == "computers" else world.policy(number(request))

    def answer(request: web.Request) -> web.Response:
        world, overrides = sandbox(request).world, flag(request, "overrides")
        return json_response(assignments_view(world, owner, number(request), overrides=overrides, module=module))

    async def list_(request: web.Request) -> web.Response:
        target(request)
        return answer(request)

    async def change(request: web.Request) -> web.Response:
        world, obj = sandbox(request).world, target(request)
        data = body(request)
        if not isinstance(data, dict):
            raise bad_request("The body must be a JSON object with ruleIDs.")
        wanted = world.with_dependencies(set(int_list(data.get("ruleIDs"), "ruleIDs")), module)
        kept = set() if request.method == "PUT" else world.own_rules(obj, module)
        world.set_own_rules(obj, kept | wanted, module)
        return answer(request)

    async def remove(request: web.Request) -> web.Response:
        world, obj = sandbox(request).world, target(request)
        world.set_own_rules(obj, world.own_rules(obj, module) - {number(request, "rule")}, module)
        return answer(request)

    return {"GET": list_, "POST": change, "PUT": change, "DELETE": remove}


def settings(owner: str) -> dict[str, Handler]:
    """GET, POST and DELETE of ``/{owner}/{id}/settings/{name}`` (``{"value": ...}``).

    DELETE removes the object's own value; the answer is the inherited one that applies again.
    """

    def own(request: web.Request) -> dict[str, Any]:
        world = sandbox(request).world
        obj = world.computer(number(request)) if owner == "computers" else world.policy(number(request))
        settings_: dict[str, Any] = obj.setdefault("computerSettings" if owner == "computers" else "policySettings", {})
        return settings_

    def effective(request: web.Request) -> dict[str, str]:
        world = sandbox(request).world
        if owner == "computers":
            return world.computer_settings(number(request), overrides=flag(request, "overrides"))
        return world.policy_settings(world.policy(number(request))["ID"], overrides=flag(request, "overrides"))

    async def read(request: web.Request) -> web.Response:
        return json_response({"value": _known(effective(request), request.match_info["name"])})

    async def write(request: web.Request) -> web.Response:
        value = _value(body(request))
        own(request)[request.match_info["name"]] = {"value": value}
        return json_response({"value": value})

    async def remove(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        _known(effective(request), name)
        own(request).pop(name, None)
        return json_response({"value": effective(request).get(name, "")})

    return {"GET": read, "POST": write, "DELETE": remove}


def default_policy() -> dict[str, Handler]:
    """GET and POST of ``/policies/default``: the settings every policy inherits (``DefaultPolicySettings``)."""

    async def read(request: web.Request) -> web.Response:
        return json_response(_shown(sandbox(request).world.default_settings))

    async def write(request: web.Request) -> web.Response:
        data = body(request)
        if not isinstance(data, dict):
            raise bad_request("The body must be a JSON object of settings.")
        defaults = sandbox(request).world.default_settings
        defaults.update({name: _value(entry) for name, entry in data.items()})
        return json_response(_shown(defaults))

    return {"GET": read, "POST": write}


def default_policy_settings() -> dict[str, Handler]:
    """GET, POST and DELETE of ``/policies/default/settings/{name}``."""

    async def read(request: web.Request) -> web.Response:
        defaults = sandbox(request).world.default_settings
        return json_response({"value": _known(defaults, request.match_info["name"])})

    async def write(request: web.Request) -> web.Response:
        defaults = sandbox(request).world.default_settings
        _known(defaults, request.match_info["name"])
        defaults[request.match_info["name"]] = _value(body(request))
        return json_response({"value": defaults[request.match_info["name"]]})

    async def remove(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        defaults = sandbox(request).world.default_settings
        _known(defaults, name)
        defaults[name] = DEFAULT_SETTINGS.get(name, "")
        return json_response({"value": defaults[name]})

    return {"GET": read, "POST": write, "DELETE": remove}


def _known(values: dict[str, str], name: str) -> str:
    if name not in values:
        raise bad_request(f"Invalid setting name: {name}")
    return values[name]


def _value(data: Any) -> str:
    if not isinstance(data, dict) or not isinstance(data.get("value"), str):
        raise bad_request('The body must be {"value": "..."}.')
    value: str = data["value"]
    return value


def _shown(values: dict[str, str]) -> dict[str, Any]:
    return {name: {"value": value} for name, value in sorted(values.items())}
