"""What each legal basis allows a partner organisation to receive (pure rules, no Flask, no DB).

Every share of case data records why it is lawful (art. 458bis / 458ter Criminal Code, consent):

- `consent`: the person agreed (`consent` must be `yes`, checked when the note is written).
  Each addressed organisation receives the full note.
- `case_consultation_458ter`: a case consultation set up by law or decree, only to protect
  physical or psychological integrity; participants stay bound by secrecy. Only the Veilig Huis
  and its core partner CAW (organisation kinds `veilig_huis`, `caw`) take part; any other
  addressee is refused when the note is written. Participants receive the full note: the
  protection plan needs the whole picture.
- `report_458bis`: a report of serious, imminent danger. Addressees receive only the minimal
  facts to act on: incident reference and date, risk level and priority, and the summary.
  Persons, children (and whether they are at risk), motives, instrument results, actions,
  follow-up and the contact consent are withheld (and listed as withheld, so the reader knows to
  ask through the proper channel).

Defence in depth: when a stored note's basis does not (or no longer) allow sharing with an
organisation, the note is not shared with it at all: it stays out of its packets and answers 404.
Other addressees of a note are never shown to an organisation.

Corrections (enforced in `handover.service.readable_by`): a correction is a new version, and an
organisation reads only the latest version of a note, only while that version is addressed to
it with a basis that allows it, and only once it got the note: some version since the note was
last (re)addressed to it was urgent (read at once) or carried by one of its packets. So a
correction of a note it already got is readable at once; a correction that newly adds it (or
adds it back after a withdrawal) waits for its next packet, or is read at once when urgent. A
superseded version answers 404, even when a packet carried it; packet views show the latest
version instead, or that the note was withdrawn. A correction that takes a note away from an
organisation that could read it is pushed to that organisation's room (`handover.withdrawn`).
"""

from __future__ import annotations

from typing import Any

from handover.models import Consent, LegalBasis

CASE_CONSULTATION_KINDS = frozenset({"veilig_huis", "caw"})
# Shared under every basis, and the only content shared under art. 458bis.
MINIMAL_FIELDS = ("summary", "risk_level", "priority")
# Shared only where the full note is allowed.
FULL_ONLY_FIELDS = (
    "consent",
    "persons",
    "children",
    "children_at_risk",
    "motives",
    "instruments",
    "actions",
    "follow_up",
)


def may_share(basis: str, consent: str, organisation_kind: str) -> bool:
    """Whether a note with this basis and consent may reach an organisation of this kind."""
    if basis == LegalBasis.CONSENT:
        return consent == Consent.YES
    if basis == LegalBasis.CASE_CONSULTATION_458TER:
        return organisation_kind in CASE_CONSULTATION_KINDS
    return basis == LegalBasis.REPORT_458BIS


def full_content_allowed(basis: str) -> bool:
    """Whether the basis allows the whole note (consent, 458ter) or only minimal facts (458bis)."""
    return basis in (LegalBasis.CONSENT, LegalBasis.CASE_CONSULTATION_458TER)


def check_share(basis: str, consent: str, organisation_kinds: dict[str, str]) -> dict[str, str]:
    """Field problems with a share: consent basis without consent, 458ter to a non-partner."""
    problems: dict[str, str] = {}
    if basis == LegalBasis.CONSENT and consent != Consent.YES:
        problems["consent"] = "legal basis 'consent' requires consent 'yes'"
    if basis == LegalBasis.CASE_CONSULTATION_458TER:
        outside = sorted(
            slug for slug, kind in organisation_kinds.items() if kind not in CASE_CONSULTATION_KINDS
        )
        if outside:
            problems["organisations"] = (
                "not a partner of the 458ter case consultation (Veilig Huis, CAW): "
                + ", ".join(outside)
            )
    return problems


def shared_content(basis: str, consent: str, content: dict[str, Any]) -> dict[str, Any]:
    """The note content an addressee may read under the basis, with what was withheld."""
    risk = content.get("risk") or {}
    full = {
        "summary": content.get("summary"),
        "risk_level": risk.get("level"),
        "priority": risk.get("priority"),
        "consent": consent,
        "persons": content.get("persons") or [],
        "children": content.get("children"),
        "children_at_risk": content.get("children_at_risk"),
        "motives": content.get("motives") or [],
        "instruments": risk.get("instruments") or [],
        "actions": content.get("actions"),
        "follow_up": content.get("follow_up"),
    }
    if full_content_allowed(basis):
        return {**full, "withheld": []}
    shared = {key: full[key] for key in MINIMAL_FIELDS}
    return {**shared, **dict.fromkeys(FULL_ONLY_FIELDS), "withheld": list(FULL_ONLY_FIELDS)}
