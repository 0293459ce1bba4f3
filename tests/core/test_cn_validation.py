"""Resident ID numbers (GB 11643), mobiles and landlines."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.core import cn_validation as cnv
from kefu.core.masking import mask_id_number, mask_phone

regions = st.sampled_from(["110101", "310104", "440305", "510107", "640104"])
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))
sequences = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


def build_id(region: str, birth: dt.date, seq: str) -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    return first17 + cnv.id_check_char(first17)


def test_published_example_has_x_check_digit():
    # The worked example from GB 11643-1999 (appendix) ends in X.
    assert cnv.normalize_id_number("11010519491231002x") == "11010519491231002X"


@given(regions, births, sequences)
def test_every_well_formed_id_validates(region, birth, seq):
    id_number = build_id(region, birth, seq)
    assert cnv.normalize_id_number(id_number.lower()) == id_number


@given(regions, births, sequences, st.sampled_from("0123456789X"))
def test_any_other_check_character_is_rejected(region, birth, seq, wrong):
    id_number = build_id(region, birth, seq)
    if wrong != id_number[-1]:
        with pytest.raises(cnv.InvalidValue) as err:
            cnv.normalize_id_number(id_number[:-1] + wrong)
        assert err.value.reason == "wrong check digit"


@given(regions, sequences, st.integers(min_value=0, max_value=16), st.integers(0, 9))
def test_changing_any_digit_breaks_the_check(region, seq, position, digit):
    id_number = build_id(region, dt.date(1985, 6, 15), seq)
    if id_number[position] != str(digit):
        tampered = id_number[:position] + str(digit) + id_number[position + 1 :]
        with pytest.raises(cnv.InvalidValue):
            cnv.normalize_id_number(tampered)


@pytest.mark.parametrize(
    ("birth", "reason"),
    [
        ("19900230", "invalid birth date"),
        ("18991231", "invalid birth date"),
        ("20991231", "invalid birth date"),
    ],
)
def test_impossible_birth_dates_are_rejected(birth, reason):
    first17 = f"110101{birth}123"
    with pytest.raises(cnv.InvalidValue) as err:
        cnv.normalize_id_number(first17 + cnv.id_check_char(first17))
    assert err.value.reason == reason


@pytest.mark.parametrize("bad", ["", "1234", "11010519491231002", "1101051949123100X2", "A" * 18])
def test_malformed_ids_are_rejected(bad):
    with pytest.raises(cnv.InvalidValue):
        cnv.normalize_id_number(bad)


@given(st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9))
def test_mobiles_normalise_with_prefixes_and_separators(second, rest):
    number = f"1{second}{rest}"
    assert cnv.normalize_mobile(number) == number
    assert cnv.normalize_mobile(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}") == number
    assert cnv.normalize_phone(f"0086{number}") == number


@pytest.mark.parametrize("bad", ["12012345678", "1381234567", "138123456789", "abc", "110"])
def test_bad_mobiles_are_rejected(bad):
    with pytest.raises(cnv.InvalidValue):
        cnv.normalize_mobile(bad)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("010-12345678", "010-12345678"),
        ("(021)87654321", "021-87654321"),
        ("0951 5012345", "0951-5012345"),
        ("075512345678", "0755-12345678"),
    ],
)
def test_landlines_keep_their_area_code(raw, normalised):
    assert cnv.normalize_phone(raw) == normalised


@pytest.mark.parametrize("bad", ["12345678", "0101234", "00012345678"])
def test_landlines_without_valid_area_code_are_rejected(bad):
    with pytest.raises(cnv.InvalidValue):
        cnv.normalize_landline(bad)


def test_masking_hides_the_middle():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("010-12345678") == "010-****5678"
    assert mask_id_number("11010519491231002X") == "110105********002X"


@given(st.text("0123456789", min_size=11, max_size=11))
def test_masked_phone_never_shows_the_middle_digits(number):
    masked = mask_phone(number)
    assert len(masked) == len(number) and masked[3:7] == "****"
