"""The rule that turns a policy's Intrusion Prevention application types into a Trend Micro rule group.

Each IPS rule a policy assigns has an application type. A type whose name mentions a web application
or a content management system (``Web Application``, ``CMS``, ``WordPress``, ``Joomla``, ``Drupal``)
makes the workload a *web application*; otherwise a ``Web Server`` type makes it a *web server*;
otherwise it is *not web*. Several computers behind one front door count together: the strongest
class wins (web application > web server > not web). No computer with a policy gives *unknown*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

_WEB_APPLICATION = re.compile(r"web application|\bcms\b|content management|wordpress|joomla|drupal", re.I)
_WEB_SERVER = re.compile(r"web server", re.I)


class Classification(StrEnum):
    """What the workloads behind a front door are, as their policies' IPS rules say."""

    WEB_APPLICATION = "web_application"
    WEB_SERVER = "web_server"
    NOT_WEB = "not_web"
    UNKNOWN = "unknown"


def classify(type_names: Iterable[str] | None) -> Classification:
    """The class of one set of application type names (``None``: nothing known about the workload)."""
    if type_names is None:
        return Classification.UNKNOWN
    names = list(type_names)
    if any(_WEB_APPLICATION.search(name) for name in names):
        return Classification.WEB_APPLICATION
    if any(_WEB_SERVER.search(name) for name in names):
        return Classification.WEB_SERVER
    return Classification.NOT_WEB


def strongest(classes: Iterable[Classification]) -> Classification:
    """The class of a front door from the classes of the policies behind it."""
    found = set(classes)
    for candidate in (Classification.WEB_APPLICATION, Classification.WEB_SERVER, Classification.NOT_WEB):
        if candidate in found:
            return candidate
    return Classification.UNKNOWN
