"""Per-object sub-resources: IPS rule assignments and single settings of computers and policies."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from wsbridge_sandbox.http import bad_request, int_list, json_response
from wsbridge_sandbox.requests import Handler, body, flag, number, sandbox
from wsbridge_sandbox.views import assignments_view


def assignments(owner: str) -> dict[str, Handler]:
    """GET (list), POST (add), PUT (replace), DELETE (one rule) of ``/{owner}/{id}/intrusionprevention/assignments``."""

    def target(request: web.Request) -> dict[str, Any]:
        world = sandbox(request).world
        return world.computer(number(request)) if owner == "computers" else world.policy(number(request))

    def answer(request: web.Request) -> web.Response:
        view = assignments_view(sandbox(request).world, owner, number(request), overrides=flag(request, "overrides"))
        return json_response(view)

    async def list_(request: web.Request) -> web.Response:
        target(request)
        return answer(request)

    async def change(request: web.Request) -> web.Response:
        world, obj = sandbox(request).world, target(request)
        data = body(request)
        if not isinstance(data, dict):
            raise bad_request("The body must be a JSON object with ruleIDs.")
        wanted = world.with_dependencies(set(int_list(data.get("ruleIDs"), "ruleIDs")))
        world.set_own_rules(obj, wanted if request.method == "PUT" else world.own_rules(obj) | wanted)
        return answer(request)

    async def remove(request: web.Request) -> web.Response:
        world, obj = sandbox(request).world, target(request)
        world.set_own_rules(obj, world.own_rules(obj) - {number(request, "rule")})
        return answer(request)

    return {"GET": list_, "POST": change, "PUT": change, "DELETE": remove}


def settings(owner: str) -> dict[str, Handler]:
    """GET and POST of ``/{owner}/{id}/settings/{name}`` (``{"value": ...}``)."""

    def effective(request: web.Request) -> dict[str, str]:
        world = sandbox(request).world
        if owner == "computers":
            return world.computer_settings(number(request))
        return world.policy_settings(world.policy(number(request))["ID"])

    async def read(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        values = effective(request)
        if name not in values:
            raise bad_request(f"Invalid setting name: {name}")
        return json_response({"value": values[name]})

    async def write(request: web.Request) -> web.Response:
        data = body(request)
        if not isinstance(data, dict) or not isinstance(data.get("value"), str):
            raise bad_request('The body must be {"value": "..."}.')
        world = sandbox(request).world
        obj = world.computer(number(request)) if owner == "computers" else world.policy(number(request))
        key = "computerSettings" if owner == "computers" else "policySettings"
        obj.setdefault(key, {})[request.match_info["name"]] = {"value": data["value"]}
        return json_response({"value": data["value"]})

    return {"GET": read, "POST": write}
