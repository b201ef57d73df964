"""What the official SDK would send for a call, without sending it.

The SDK's generated API classes build each request in a `_<method>_serialize`
helper; calling it gives the method, URL and body the SDK puts on the wire.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pieces_os_client.api.workstream_event_api import WorkstreamEventApi
from pieces_os_client.api.workstream_events_api import WorkstreamEventsApi
from pieces_os_client.api_client import ApiClient
from pieces_os_client.configuration import Configuration


def sdk_request(method: str, **arguments: Any) -> tuple[str, str, Any]:
    """(HTTP method, path with query, JSON body) of the SDK's `<method>`."""
    client = ApiClient(Configuration(host="http://pieces-os.invalid"))
    name = f"_{method}_serialize"
    api = next(api for api in (WorkstreamEventApi, WorkstreamEventsApi) if hasattr(api, name))
    serialize = getattr(api(client), name)
    verb, url, _headers, body, _form = serialize(
        **arguments, _request_auth=None, _content_type=None, _headers=None, _host_index=0
    )
    parts = urlsplit(url)
    return verb, parts.path + (f"?{parts.query}" if parts.query else ""), body
