"""Drives the emulator with Debian's Azure SDK for Python (python3-azure) and prints what it saw as JSON.

Usage: /usr/bin/python3 kv_parity.py VAULT_URL CA_FILE
A client nobody on the project wrote: the jest test asserts these answers are the service's.
"""
import json
import sys
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.keyvault.secrets import SecretClient

POLL = 0.05


class FixedToken:
    """A TokenCredential that hands out one fixed token and counts how often it was asked."""

    def __init__(self):
        self.calls = 0

    def get_token(self, *scopes, **kwargs):
        self.calls += 1
        self.scopes = list(scopes)
        return AccessToken("python-parity", int(time.time()) + 3600)


def failure(call):
    """Runs call; returns the service's answer as the SDK reports it, or None when it succeeded."""
    try:
        call()
    except HttpResponseError as e:
        inner = getattr(e.error, "innererror", None) if e.error else None
        return {
            "status": e.status_code,
            "code": e.error.code if e.error else None,
            "inner": (inner or {}).get("code"),
            "message": e.error.message if e.error else e.message,
            "type": type(e).__name__,
        }
    return None


def until_ok(call, seconds=20):
    deadline = time.time() + seconds
    while True:
        try:
            return call()
        except HttpResponseError:
            if time.time() > deadline:
                raise
            time.sleep(POLL)


def main():
    vault_url, ca_file = sys.argv[1], sys.argv[2]
    credential = FixedToken()
    seen = {"urls": []}

    def hook(response):
        seen["urls"].append(response.http_request.url)
        seen["last_text"] = response.http_response.text()

    client = SecretClient(
        vault_url,
        credential,
        verify_challenge_resource=False,
        connection_verify=ca_file,
        raw_response_hook=hook,
    )
    out = {}

    first = client.set_secret("py-secret", "first", content_type="text/plain", tags={"owner": "py"})
    second = client.set_secret("py-secret", "second")
    out["set"] = {"name": first.name, "version": first.properties.version, "value": first.value,
                  "content_type": first.properties.content_type, "tags": first.properties.tags,
                  "id": first.id, "recovery_level": first.properties.recovery_level}
    out["get_latest"] = client.get_secret("py-secret").value
    out["get_version"] = client.get_secret("py-secret", first.properties.version).value
    out["versions"] = sorted(v.version for v in client.list_properties_of_secret_versions("py-secret"))
    out["version_ids"] = [first.properties.version, second.properties.version]

    for i in range(23):
        client.set_secret("py-page-%02d" % i, "v")
    pages = client.list_properties_of_secrets(max_page_size=10).by_page()
    sizes, names = [], []
    for page in pages:
        items = list(page)
        sizes.append(len(items))
        names.extend(p.name for p in items)
    out["list"] = {"page_sizes": sizes, "names": names}

    updated = client.update_secret_properties("py-secret", content_type="application/json",
                                              tags={"rotated": "yes"})
    out["update"] = {"content_type": updated.content_type, "tags": updated.tags,
                     "value_in_answer": "value" in json.loads(seen["last_text"])}
    client.update_secret_properties("py-secret", first.properties.version, enabled=False)
    out["disabled_get"] = failure(lambda: client.get_secret("py-secret", first.properties.version))

    out["missing"] = failure(lambda: client.get_secret("py-nobody"))
    out["too_big"] = failure(lambda: client.set_secret("py-big", "\u00e9" * 12_801))
    out["bad_name"] = failure(lambda: client.set_secret("py_bad_name", "v"))

    # Delete: the poller must see the operation in progress and poll until the deleted secret appears.
    poller = client.begin_delete_secret("py-secret", _polling_interval=POLL)
    out["delete_started"] = {"status": poller.status(),
                             "value_in_answer": "value" in json.loads(seen["last_text"])}
    out["during_delete"] = {
        "get_deleted": failure(lambda: client.get_deleted_secret("py-secret")),
        "set": failure(lambda: client.set_secret("py-secret", "again")),
        "purge": failure(lambda: client.purge_deleted_secret("py-secret")),
    }
    poller.wait()
    out["delete_done"] = poller.status()
    deleted = client.get_deleted_secret("py-secret")
    out["get_deleted"] = {"name": deleted.name, "recovery_id": deleted.recovery_id,
                          "has_dates": deleted.deleted_date is not None and deleted.scheduled_purge_date is not None,
                          "value_in_answer": "value" in json.loads(seen["last_text"])}
    listed = [d.name for d in client.list_deleted_secrets()]
    items = json.loads(seen["last_text"])["value"]
    out["list_deleted"] = {"names": listed, "value_in_answer": any("value" in item for item in items)}
    out["set_while_deleted"] = failure(lambda: client.set_secret("py-secret", "again"))

    recover = client.begin_recover_deleted_secret("py-secret", _polling_interval=POLL)
    out["recover_started"] = recover.status()
    out["during_recover"] = {
        "get": failure(lambda: client.get_secret("py-secret")),
        "set": failure(lambda: client.set_secret("py-secret", "again")),
    }
    recover.wait()
    out["recovered_value"] = client.get_secret("py-secret").value

    blob = client.backup_secret("py-secret")
    out["backup"] = {"type": type(blob).__name__, "shows_value": b"second" in blob}
    client.begin_delete_secret("py-secret", _polling_interval=POLL).wait()
    client.purge_deleted_secret("py-secret")
    out["after_purge"] = {
        "get_deleted": failure(lambda: client.get_deleted_secret("py-secret")),
        "set": failure(lambda: client.set_secret("py-secret", "again")),
    }
    edited = bytearray(blob)
    edited[len(edited) // 2] ^= 1
    out["restore_edited"] = failure(lambda: client.restore_secret_backup(bytes(edited)))
    restored = until_ok(lambda: client.restore_secret_backup(blob))
    out["restore"] = {"name": restored.name, "value": client.get_secret("py-secret").value}
    out["restore_existing"] = failure(lambda: client.restore_secret_backup(blob))

    out["api_versions"] = sorted({u.split("api-version=")[1].split("&")[0] for u in seen["urls"]})
    out["token_calls"] = credential.calls
    out["scopes"] = credential.scopes
    print(json.dumps(out))


if __name__ == "__main__":
    main()
