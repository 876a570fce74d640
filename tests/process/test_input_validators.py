"""Validation of what customers type: names, credit codes, mobiles, capacities, dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from process import validators
from process.validators import (
    ValidationError,
    normalize_text,
    parse_capacity_kva,
    parse_date,
    uscc_check_char,
    validate_address,
    validate_company_name,
    validate_mobile,
    validate_person_name,
    validate_project_name,
    validate_uscc,
)

TODAY = date(2026, 6, 1)


def error_of(call: object, *args: object, **kwargs: object) -> ValidationError:
    assert callable(call)
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- free text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  华为技术有限公司（深圳）  ", "华为技术有限公司（深圳）"),
        ("\u3000国网某某供电公司\u3000", "国网某某供电公司"),
        ("ABC\u3000 Co.,\n\t Ltd.", "ABC Co., Ltd."),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("3#楼1~3号【东区】(二期)", "3#楼1~3号【东区】(二期)"),
        ("《新厂区》“一号”变电所、配电房。", "《新厂区》“一号”变电所、配电房。"),
        ("二期Ⅱ标段—A/B区", "二期Ⅱ标段—A/B区"),
        ("Café 𠮷野家", "Café 𠮷野家"),
        ("ＡＢＣ１２３，好", "ＡＢＣ１２３，好"),
    ],
)
def test_normalize_text_accepts_and_tidies(raw: str, clean: str) -> None:
    assert normalize_text(raw, max_len=100) == clean


@pytest.mark.parametrize("raw", ["", "   ", "\u3000\u3000", "\n\t"])
def test_normalize_text_rejects_empty(raw: str) -> None:
    assert error_of(normalize_text, raw, max_len=10).code == "text.empty"


@pytest.mark.parametrize(
    ("raw", "char"),
    [
        ("好公司😀", "😀"),
        ("a\x00b", "\x00"),
        ("a\u200bb", "\u200b"),  # zero-width space
        ("公司™", "™"),
        ("公司\ue000", "\ue000"),  # private use
        ("<b>公司</b>", "<"),
        ("公司{{x}}", "{"),
        ("❤️公司", "❤"),
        ("Ωmega", "Ω"),
        ("公司\x0b", "\x0b"),  # vertical tab at the edge is refused, not trimmed
        ("\x85公司", "\x85"),
    ],
)
def test_normalize_text_rejects_odd_characters(raw: str, char: str) -> None:
    error = error_of(normalize_text, raw, max_len=100)
    assert error.code == "text.chars"
    assert error.params == {"char": char}


def test_normalize_text_rejects_too_long_after_collapsing_spaces() -> None:
    assert normalize_text("a    b", max_len=3) == "a b"
    error = error_of(normalize_text, "abcd", max_len=3)
    assert (error.code, error.params) == ("text.too_long", {"max_len": 3})


@pytest.mark.parametrize(
    ("validator", "limit"),
    [
        (validate_company_name, 100),
        (validate_project_name, 100),
        (validate_address, 200),
        (validate_person_name, 30),
    ],
)
def test_named_fields_have_their_own_limits(validator: object, limit: int) -> None:
    assert callable(validator)
    assert validator("张" * limit) == "张" * limit
    assert error_of(validator, "张" * (limit + 1)).params == {"max_len": limit}


@pytest.mark.parametrize("raw", ["张三3", "李四４"])
def test_person_names_have_no_digits(raw: str) -> None:
    assert error_of(validate_person_name, raw).code == "name.digits"


def test_person_name() -> None:
    assert validate_person_name(" 欧阳 娜娜 ") == "欧阳 娜娜"
    assert validate_person_name("John O'Neil-Smith") == "John O'Neil-Smith"


@given(st.text(max_size=40))
def test_normalize_text_either_returns_tidy_text_or_a_known_code(raw: str) -> None:
    try:
        clean = normalize_text(raw, max_len=30)
    except ValidationError as error:
        assert error.code in validators.ALL_CODES
    else:
        assert clean == clean.strip()
        assert "  " not in clean
        assert 0 < len(clean) <= 30


# -- unified social credit code ------------------------------------------------------------

REAL_CODES = [
    "91350100M000100Y43",
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 腾讯科技（深圳）有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_pass(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]


def test_credit_code_is_upper_cased_and_spaces_and_full_width_forms_are_forgiven() -> None:
    assert validate_uscc(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert validate_uscc("9135 0100 M000 100Y 43") == "91350100M000100Y43"
    assert validate_uscc("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_check_character_arithmetic_including_31_becoming_0() -> None:
    assert uscc_check_char("1" + "0" * 16) == "Y"  # sum 1 -> 31 - 1 = 30 -> "Y"
    assert uscc_check_char("W1" + "0" * 15) == "0"  # 28*1 + 1*3 = 31 -> 31 - 0 = 31 -> "0"
    assert uscc_check_char("0" * 17) == "0"


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        ("91350100M000100Y4", "uscc.length", {"length": 17}),
        ("91350100M000100Y433", "uscc.length", {"length": 19}),
        ("", "uscc.length", {"length": 0}),
        ("91350100M000100I43", "uscc.chars", {"char": "I"}),
        ("91350100O000100Y43", "uscc.chars", {"char": "O"}),
        ("91350100M00010中Y43", "uscc.chars", {"char": "中"}),
        ("91350100M000100Y44", "uscc.check", {}),
        ("911100001000128150", "uscc.check", {}),
    ],
)
def test_bad_credit_codes(raw: str, code: str, params: dict[str, object]) -> None:
    error = error_of(validate_uscc, raw)
    assert (error.code, error.params) == (code, params)


@pytest.mark.parametrize("first17", ["123", "9135010OM000100Y4"])
def test_check_char_needs_seventeen_code_characters(first17: str) -> None:
    with pytest.raises(ValueError):
        uscc_check_char(first17)


@given(st.text(alphabet=validators.USCC_ALPHABET, min_size=17, max_size=17))
def test_any_code_with_its_check_character_is_valid(first17: str) -> None:
    code = first17 + uscc_check_char(first17)
    assert validate_uscc(code.lower()) == code
    wrong = validators.USCC_ALPHABET[(validators.USCC_ALPHABET.index(code[17]) + 1) % 31]
    assert error_of(validate_uscc, first17 + wrong).code == "uscc.check"


# -- mobile ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        " 138 1234 5678 ",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "8613812345678",
        "0086-138-1234-5678",
        "１３８１２３４５６７８",
        "＋８６ １３８１２３４５６７８",
    ],
)
def test_mobile_numbers_are_accepted(raw: str) -> None:
    assert validate_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12812345678",  # 12x is not a mobile prefix
        "1381234567",
        "138123456789",
        "010-12345678",
        "+1 138 1234 5678",
        "13812345678a",
        "٣13812345678",
    ],
)
def test_bad_mobile_numbers(raw: str) -> None:
    assert error_of(validate_mobile, raw).code == "mobile.format"


# -- capacity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kva"),
    [
        ("2000", 2000),
        ("2,000", 2000),
        ("2000kVA", 2000),
        ("2000 kva", 2000),
        ("2000 KVA", 2000),
        ("２０００", 2000),
        ("２，０００ｋＶＡ", 2000),
        ("2000 kV·A", 2000),
        ("2000千伏安", 2000),
        ("50", 50),
        ("2,000,000", 2_000_000),
        ("2 000", 2000),
        ("  2 000\u3000kVA ", 2000),
    ],
)
def test_capacities_are_accepted(raw: str, kva: int) -> None:
    assert parse_capacity_kva(raw) == kva


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "2000.5", "20,00", "-100", "2000 kW", "kva", "2 000 0", "2,000 000", "2000  k va"],
)
def test_malformed_capacities(raw: str) -> None:
    assert error_of(parse_capacity_kva, raw).code == "capacity.format"


@pytest.mark.parametrize("raw", ["49", "0", "2000001", "99999999999999999999"])
def test_capacities_out_of_range(raw: str) -> None:
    error = error_of(parse_capacity_kva, raw)
    assert (error.code, error.params) == ("capacity.range", {"min": 50, "max": 2_000_000})


# -- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2026-12-01",
        "2026/12/1",
        "2026.12.1",
        "20261201",
        "2026年12月1日",
        "2026年12月1号",
        "2026 年 12 月 1 日",
        "２０２６年１２月１日",
        "２０２６－１２－０１",
    ],
)
def test_dates_are_accepted(raw: str) -> None:
    assert parse_date(raw, today=TODAY) == date(2026, 12, 1)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "tomorrow",
        "2026-02-30",
        "2026-13-01",
        "2026-12/1",
        "26-12-01",
        "2026120",
        "31 Smarch 2027",
        "32 March 2027",
        "13/13/2027",
    ],
)
def test_malformed_dates(raw: str) -> None:
    error = error_of(parse_date, raw, today=TODAY)
    # The message's example is a real date a month ahead, never a fixed one.
    assert (error.code, error.params) == ("date.format", {"example": date(2026, 7, 1)})


@pytest.mark.parametrize(
    "raw",
    [
        "2027-03-31",
        "2027/3/31",
        "2027年3月31日",
        "31 March 2027",
        "March 31, 2027",
        "31 Mar 2027",
        "Mar. 31st, 2027",
        "31 march 2027",
        "3/31/2027",  # month first: 31 cannot be a month
        "31/3/2027",  # day first: 31 cannot be a month
        "31.03.2027",
    ],
)
def test_the_common_written_forms_in_both_languages(raw: str) -> None:
    assert parse_date(raw, today=TODAY) == date(2027, 3, 31)


@pytest.mark.parametrize("raw", ["12/1/2026", "4/5/2027", "04.05.2027"])
def test_numbers_only_with_the_year_last_are_refused_when_they_read_two_ways(raw: str) -> None:
    error = error_of(parse_date, raw, today=TODAY)
    assert (error.code, error.params) == (
        "date.ambiguous",
        {"text": raw, "example": date(2026, 7, 1)},
    )


def test_today_is_fine_but_yesterday_is_past() -> None:
    assert parse_date("2026-06-01", today=TODAY) == TODAY
    error = error_of(parse_date, "2026-05-31", today=TODAY)
    assert (error.code, error.params) == ("date.past", {"today": TODAY})


def test_dates_too_far_ahead() -> None:
    assert parse_date("2031-06-01", today=TODAY) == date(2031, 6, 1)
    error = error_of(parse_date, "2031-06-02", today=TODAY)
    assert (error.code, error.params) == (
        "date.too_far",
        {"max_years": 5, "latest": date(2031, 6, 1)},
    )
    assert error_of(parse_date, "2027-06-02", today=TODAY, max_years_ahead=1).code == "date.too_far"


def test_too_far_from_29_february() -> None:
    leap_day = date(2028, 2, 29)
    assert parse_date("2029-02-28", today=leap_day, max_years_ahead=1) == date(2029, 2, 28)
    assert error_of(parse_date, "2029-03-01", today=leap_day, max_years_ahead=1).code == (
        "date.too_far"
    )


# -- the error itself --------------------------------------------------------------------


def test_validation_error_carries_code_and_params() -> None:
    error = ValidationError("capacity.range", min=50, max=2_000_000)
    assert isinstance(error, ValueError)
    assert error.code == "capacity.range"
    assert error.params == {"min": 50, "max": 2_000_000}
    assert str(error) == "capacity.range (min=50, max=2000000)"
    assert str(ValidationError("text.empty")) == "text.empty"


def test_every_code_is_listed_once() -> None:
    assert len(set(validators.ALL_CODES)) == len(validators.ALL_CODES) == 17


# -- a real name -------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1234567", "公", "A", "１２３４", "...", "#1", "（）"])
def test_a_company_name_is_a_name(raw: str) -> None:
    assert error_of(validate_company_name, raw).code == "name.real"


@pytest.mark.parametrize("raw", ["张", "··", "-"])
def test_a_contact_name_is_a_name(raw: str) -> None:
    assert error_of(validate_person_name, raw).code == "name.real"


@pytest.mark.parametrize("raw", ["3M中国有限公司", "华为", "IBM", "58同城", "王五"])
def test_short_and_digit_bearing_names_that_are_names(raw: str) -> None:
    assert validate_company_name(raw) == raw


# -- bounds are inclusive, as the messages say ---------------------------------------------


def test_every_bound_is_inclusive() -> None:
    assert parse_capacity_kva(str(validators.CAPACITY_MIN_KVA)) == validators.CAPACITY_MIN_KVA
    assert parse_capacity_kva(str(validators.CAPACITY_MAX_KVA)) == validators.CAPACITY_MAX_KVA
    assert parse_date("2031-06-01", today=TODAY) == date(2031, 6, 1)  # exactly 5 years
    assert parse_date(TODAY.isoformat(), today=TODAY) == TODAY
    assert normalize_text("张" * 10, max_len=10) == "张" * 10


# -- files are what they say ---------------------------------------------------------------

PDF_HEAD = b"%PDF-1.4\n"
EXE_HEAD = b"MZ\x90\x00\x03\x00\x00\x00"


@pytest.mark.parametrize(
    ("head", "mime", "name", "problem"),
    [
        (PDF_HEAD, "application/pdf", "licence.pdf", None),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", "scan.jpg", None),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png", None, None),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", "a.webp", None),
        (PDF_HEAD, "application/octet-stream", "licence.PDF", None),
        (b"", "application/pdf", "licence.pdf", "empty"),
        (EXE_HEAD, "application/pdf", "virus.exe", "content_mismatch"),
        (EXE_HEAD, "application/octet-stream", "licence.pdf", "content_mismatch"),
        (PDF_HEAD, "image/png", "x.png", "content_mismatch"),
        (b"RIFF\x00\x00\x00\x00WAVE", "image/webp", "a.webp", "content_mismatch"),
        (b"PK\x03\x04", "application/zip", "plan.docx", None),  # nothing claimed to check
    ],
)
def test_a_file_must_begin_as_what_it_claims_to_be(
    head: bytes, mime: str, name: str | None, problem: str | None
) -> None:
    assert validators.file_problem(head, mime, name) == problem
