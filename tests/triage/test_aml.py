"""Reading Advanced Mobile Location messages (ETSI TS 103 625): every public test vector, the
HMAC of the HTTPS form, and a malformed message named by its field, never another error."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage import aml

# The public test vectors of cpilatre/aml-lib (tests/verify.rs, commit 388e3e75), as shipped in
# the project's shared standards folder (aml/vectors.txt): message → what a parser must read.
SMS_V1 = (
    'A"ML=1;lt=48.82639;lg=-2.36619;rd=52;top=20191112112928;lc=68;pm=G;si=208201771948415;'
    "ei=353472104343540;mcc=208;mnc=20;ml=128"
)
SMS_V2 = (
    'A"ML=2;en=+15555555555;et=1593187189;lo=-37.42175,-122.08461,2000.1;lt=-9999;lc=68;'
    "lz=-100.1,100.1;ls=G;ei=358239059042542;nc=310260;hc=310260;lg=en-US"
)
SMS_DATA = (
    "415193D98BEDD8F4DEECE6A2C962B7DA8E7DEEB56232990B86A3D9623B39B92783EDE86F784F068BD560B6D80C"
    "1683E568B81D7BDCB3E176F076EFB89BA77B39DCCD56A3C966B15D39DD9BD570B2590E56CBC168B21A4DB66B8F"
    "C7BD590CB66BBBC73D990DB66BB37B31D90C"
)
FORM = (
    "v=1&device_number=%2B447477593102&location_latitude=55.85732&location_longitude=-4.26325"
    "&location_time=1476189444435&location_accuracy=10.4&location_source=GPS"
    "&location_certainty=83&location_altitude=0.0&location_floor=5"
    "&device_model=ABC+ABC+Detente+530&device_imei=354773072099116&device_imsi=234159176307582"
    "&device_os=AOS&cell_carrier=&cell_home_mcc=234&cell_home_mnc=15&cell_network_mcc=234"
    "&cell_network_mnc=15&cell_id=0213454321"
)
SIGNED = (
    "v=1&device_number=%2B33611223344&location_latitude=0.85732&location_longitude=-4.26325"
    "&location_time=1604912121000&location_accuracy=10.4&location_source=GPS"
    "&location_certainty=83&hmac=f64c70eb238bb239e00e8ac8c023bf2b5d3c41dd"
)


LONGITUDE = "location_longitude"


def at(*parts: int, micro: int = 0) -> dt.datetime:
    return dt.datetime(*parts, micro, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            SMS_V1,
            aml.AmlFix(48.82639, -2.36619, 52, at(2019, 11, 12, 11, 29, 28), 68, "g", None),
        ),
        (
            SMS_V2,
            aml.AmlFix(
                -37.42175, -122.08461, 2000.1, at(2020, 6, 26, 15, 59, 49), 68, "g", "+15555555555"
            ),
        ),
        (
            FORM,
            aml.AmlFix(
                55.85732,
                -4.26325,
                10.4,
                at(2016, 10, 11, 12, 37, 24, micro=435000),
                83,
                "gps",
                "+447477593102",
            ),
        ),
    ],
)
def test_each_public_vector_reads_as_its_facts(message, expected):
    assert aml.parse(message) == expected


def test_the_data_sms_is_the_same_text_packed_in_septets():
    fix = aml.parse(SMS_DATA)
    assert (fix.latitude, fix.longitude, fix.radius_m) == (37.42175, -122.08461, 20)
    assert aml.unpack_septets(bytes.fromhex(SMS_DATA)).startswith('A"ML=1;lt=37.42175;')


def test_what_identifies_the_handset_is_read_but_never_kept():
    # IMEI and IMSI are in every vector; nothing of them reaches what the caller stores.
    for message in (SMS_V1, SMS_V2, FORM):
        kept = repr(aml.parse(message))
        assert "353472104343540" not in kept and "208201771948415" not in kept
        assert "354773072099116" not in kept and "234159176307582" not in kept


def test_the_https_hmac_holds_only_for_the_body_it_was_made_over():
    assert aml.verify_hmac(SIGNED, "AML")
    assert not aml.verify_hmac(SIGNED, "another key")
    head = SIGNED.index("&hmac=")
    for i in range(head):  # any changed byte before "&hmac=" makes it inauthentic
        changed = SIGNED[:i] + ("X" if SIGNED[i] != "X" else "Y") + SIGNED[i + 1 :]
        assert not aml.verify_hmac(changed, "AML"), i
    assert not aml.verify_hmac(FORM, "AML")  # no hmac at all
    assert aml.parse(SIGNED).number == "+33611223344"


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (SMS_V1.replace("lt=48.82639", "lt=abc"), "lt"),
        (SMS_V1.replace("lt=48.82639", "lt=95"), "lt"),
        (SMS_V1.replace("lg=-2.36619;", ""), "lg"),
        (SMS_V1.replace("rd=52", "rd=0"), "rd"),
        (SMS_V1.replace("top=20191112112928", "top=2019-11-12"), "top"),
        (SMS_V1.replace("lc=68", "lc=140"), "lc"),
        (SMS_V1.replace('A"ML=1', 'A"ML=3'), 'A"ML'),
        (SMS_V2.replace("lo=-37.42175,-122.08461,2000.1", "lo=-37.42175"), "lo"),
        (SMS_V2.replace("en=+15555555555", "en=bel-me"), "en"),
        (SMS_V2.replace("et=1593187189", "et=gisteren"), "et"),
        (FORM.replace("v=1", "v=2"), "v"),
        (
            FORM.replace("location_longitude=-4.26325", "location_longitude=nan"),
            "location_longitude",
        ),
        (FORM.replace("location_time=1476189444435", "location_time=" + "9" * 40), "location_time"),
        ("", "v"),
    ],
)
def test_a_malformed_message_names_its_field(message, field):
    with pytest.raises(aml.AmlError) as caught:
        aml.parse(message)
    assert caught.value.field == field


@given(st.text(max_size=300))
def test_any_text_is_read_or_refused_by_field_never_another_error(text):
    try:
        aml.parse(text)
    except aml.AmlError as exc:
        assert exc.field
