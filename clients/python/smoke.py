"""A partner's first session, through a client generated from the registry's own schema.

`.ci/client.sh` generates `hetao_registry_client` with openapi-python-client from the schema a
running registry serves, then runs this against that server. Everything goes through the
generated functions and typed models, never raw HTTP:

1. anonymous: a filtered listing paged to its end, and `fields` / `omit`;
2. a partner: creates a facility, changes it with If-Match, is refused a stale write (412),
   and asks for a change to its published record (a change request, 202);
3. replays `/changes/` from the start and finds the same records as the listings.

    python clients/python/smoke.py --base-url http://127.0.0.1:8000 --token <partner token>

Prints one line per check; exits 1 at the first that fails.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import Any

from hetao_registry_client import AuthenticatedClient, Client
from hetao_registry_client.api.changes import changes_list
from hetao_registry_client.api.facilities import (
    facilities_create,
    facilities_list,
    facilities_partial_update,
    facilities_retrieve,
)
from hetao_registry_client.api.organisations import organisations_list
from hetao_registry_client.api.projects import projects_list
from hetao_registry_client.models import (
    ChangeRequest,
    EventEnum,
    Facility,
    FacilityKindEnum,
    FacilityRequest,
    FacilityStatusEnum,
    Names,
    OrganisationField,
    PatchedFacilityRequest,
    Problem,
    PublicationEnum,
    SectionEnum,
    StateEnum,
)
from hetao_registry_client.types import UNSET

PAGE_SIZE = 2  # small pages, so that the demo data spans several


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def every_page(list_page: Callable[..., Any], **kwargs: Any) -> Iterator[Any]:
    """The records of a list, page after page (by number) until no next page."""
    number = 1
    while True:
        page = list_page(page=number, page_size=PAGE_SIZE, **kwargs)
        if not hasattr(page, "results"):
            raise SystemExit(f"FAIL: page {number} of {list_page.__module__}: {page!r}")
        yield from page.results
        if not page.next_:
            return
        number += 1


def anonymous_reads(public: Client) -> None:
    projects = list(every_page(projects_list.sync, client=public, cross_border=True))
    first = projects_list.sync(client=public, cross_border=True, page_size=PAGE_SIZE)
    check(
        len(projects) == first.count and len({p.id for p in projects}) == len(projects),
        f"anonymous: {first.count} cross-border projects, paged {PAGE_SIZE} at a time "
        f"to the end, each once",
    )
    check(all(p.cross_border for p in projects), "anonymous: every one of them is cross-border")

    chosen = organisations_list.sync(
        client=public, fields=[OrganisationField.ID, OrganisationField.NAMES], page_size=5
    )
    check(
        all(o.id and isinstance(o.names, Names) and o.kind is UNSET for o in chosen.results),
        "anonymous: fields=id&fields=names gives ids and names only",
    )
    dropped = organisations_list.sync(
        client=public,
        omit=[OrganisationField.RELATIONSHIPS, OrganisationField.DESCRIPTIONS],
        page_size=5,
    )
    check(
        all(o.relationships is UNSET and o.id for o in dropped.results),
        "anonymous: omit leaves the omitted fields out",
    )


def move(partner: AuthenticatedClient, public_id: str, etag: str, address: str) -> Any:
    """PATCH a facility's address, sending ``etag`` as If-Match: the whole response."""
    return facilities_partial_update.sync_detailed(
        public_id, client=partner, if_match=etag, body=PatchedFacilityRequest(address=address)
    )


def partner_writes(partner: AuthenticatedClient) -> None:
    created = facilities_create.sync_detailed(
        client=partner,
        body=FacilityRequest(
            names=Names(en="Smoke-test cryo-EM laboratory", zh_hant="冷凍電鏡測試實驗室"),
            kind=FacilityKindEnum.LABORATORY,
            section=SectionEnum.HONG_KONG,
            status=FacilityStatusEnum.PLANNED,
        ),
    )
    facility = created.parsed
    check(
        created.status_code == 201 and isinstance(facility, Facility),
        f"partner: created {getattr(facility, 'id', '?')} (201)",
    )
    check(facility.publication == PublicationEnum.IN_REVIEW, "partner: it waits for review")

    etag = facilities_retrieve.sync_detailed(facility.id, client=partner).headers["etag"]
    changed = move(partner, facility.id, etag, "Lok Ma Chau Loop, Hong Kong")
    check(
        changed.status_code == 200 and changed.parsed.address == "Lok Ma Chau Loop, Hong Kong",
        f"partner: PATCH with If-Match {etag} changed the address",
    )
    stale = move(partner, facility.id, etag, "Somewhere else")
    check(
        stale.status_code == 412 and isinstance(stale.parsed, Problem),
        f"partner: the same ETag again is refused, 412 ({getattr(stale.parsed, 'title', '')})",
    )

    me = facility.owner.id
    published = facilities_list.sync(
        client=partner, owner=[me], publication=[PublicationEnum.PUBLISHED], page_size=1
    ).results
    check(bool(published), f"partner: its organisation {me} has a published facility")
    target = published[0]
    etag = facilities_retrieve.sync_detailed(target.id, client=partner).headers["etag"]
    asked = move(partner, target.id, etag, "Futian, Shenzhen (smoke test)")
    check(
        asked.status_code == 202
        and isinstance(asked.parsed, ChangeRequest)
        and asked.parsed.state == StateEnum.OPEN,
        f"partner: a change to published {target.id} became change request "
        f"{getattr(asked.parsed, 'id', '?')} (202)",
    )


def replay(client: Client | AuthenticatedClient, who: str) -> None:
    """The feed from the start, kept as each record's latest event, gives the records the
    lists give (what a partner syncing from nothing does)."""
    latest: dict[tuple[str, str], Any] = {}
    since = 0
    while True:
        feed = changes_list.sync(client=client, since=since, limit=50)
        for event in feed.results:
            latest[(event.resource, event.id)] = event
        if not feed.next_:
            break
        since = feed.next_cursor
    gone = {EventEnum.DELETED, EventEnum.RETRACTED}
    for resource, list_page in (("facilities", facilities_list), ("projects", projects_list)):
        listed = {record.id for record in every_page(list_page.sync, client=client)}
        replayed = {
            public_id
            for (kind, public_id), event in latest.items()
            if kind == resource and event.event not in gone and event.publication != "retracted"
        }
        check(
            replayed == listed,
            f"{who}: replaying /changes/ gives the {len(listed)} {resource} the list gives",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True, help="a partner's read+write token")
    arguments = parser.parse_args()
    public = Client(base_url=arguments.base_url, raise_on_unexpected_status=True)
    partner = AuthenticatedClient(
        base_url=arguments.base_url, token=arguments.token, raise_on_unexpected_status=True
    )
    anonymous_reads(public)
    partner_writes(partner)
    replay(public, "anonymous")
    replay(partner, "partner")
    print("smoke test passed")


if __name__ == "__main__":
    main()
