"""`parse_sales_csv`, the ERP sales file check: the whole file is validated before anything is written, with
the line number of the first bad row; repeated keys are summed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from infrastructure.forecasting.store import SalesImportError, parse_sales_csv

HEADER = "date,sku,warehouse,channel,units,revenue,unit_price,promo\n"


def parse(body: str, header: str = HEADER) -> list[tuple[str, str, str, date, int, Decimal, bool]]:
    return parse_sales_csv(header + body)


def test_a_good_file_gives_one_row_per_sku_warehouse_channel_and_day() -> None:
    rows = parse("2026-01-05,MUG,BER,web,3,37.50,,1\n2026-01-05,MUG,HAM,,2,,4.25,0\n2026-01-06,TEA,,amazon,0,0,,\n")
    assert rows == [
        ("MUG", "BER", "web", date(2026, 1, 5), 3, Decimal("37.50"), True),
        ("MUG", "HAM", "erp", date(2026, 1, 5), 2, Decimal("8.50"), False),  # revenue = unit_price x units
        ("TEA", "", "amazon", date(2026, 1, 6), 0, Decimal("0"), False),
    ]


def test_only_date_sku_and_units_are_required() -> None:
    assert parse_sales_csv(" date , sku , units \n 2026-02-01 , A1 , 4 \n", default_channel="shop") == [
        ("A1", "", "shop", date(2026, 2, 1), 4, Decimal("0"), False)
    ]


def test_repeated_keys_are_merged_summing_units_and_revenue_and_any_promo_counts() -> None:
    rows = parse(
        "2026-01-05,MUG,BER,web,3,30,,0\n"
        "2026-01-05,MUG,BER,web,2,20,,1\n"
        "2026-01-05,MUG,BER,web,1,10,,\n"
        "2026-01-05,MUG,BER,amazon,1,10,,\n"
    )
    assert rows == [
        ("MUG", "BER", "web", date(2026, 1, 5), 6, Decimal("60"), True),
        ("MUG", "BER", "amazon", date(2026, 1, 5), 1, Decimal("10"), False),
    ]


@pytest.mark.parametrize(
    ("header", "missing"),
    [("sku,units\n", "date"), ("date,units,warehouse\n", "sku"), ("date,sku\n", "units"), ("\n", "date, sku, units")],
)
def test_a_missing_required_column_is_named(header: str, missing: str) -> None:
    with pytest.raises(SalesImportError, match=f"missing column\\(s\\) {missing}"):
        parse_sales_csv(header + "2026-01-01,A,1\n")


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("2026-01-05,A,,,1,,,\n2026-13-01,A,,,1,,,\n", 3),  # no such month
        ("2026-01-05,A,,,1,,,\n2026-01-06,A,,,1,,,\n2026-01-07,A,,,two,,,\n", 4),  # units not a number
        ("2026-01-05,A,,,1.5,,,\n", 2),  # units not whole
        ("2026-01-05,A,,,1,abc,,\n", 2),  # revenue not a number
        ("2026-01-05,A,,,1,,1O.00,\n", 2),  # unit price not a number
        ("2026-01-05,A,,,1,NaN,,\n", 2),  # revenue not finite
        ("05/01/2026,A,,,1,,,\n", 2),  # not an ISO date
    ],
)
def test_a_bad_value_is_reported_with_its_line_number_counting_the_header_as_line_one(body: str, line: int) -> None:
    with pytest.raises(SalesImportError, match=f"^line {line}: "):
        parse(body)


def test_negative_units_are_refused() -> None:
    with pytest.raises(SalesImportError, match=r"^line 3: needs a SKU and units ≥ 0"):
        parse("2026-01-05,A,,,1,,,\n2026-01-06,A,,,-2,,,\n")


@pytest.mark.parametrize("sku", ["", "A|B", "|"])
def test_an_empty_sku_or_one_holding_the_series_separator_is_refused(sku: str) -> None:
    with pytest.raises(SalesImportError, match=r"^line 2: needs a SKU"):
        parse(f"2026-01-05,{sku},,,1,,,\n")


@pytest.mark.parametrize(
    ("promo", "expected"),
    [("1", True), ("true", True), ("TRUE", True), ("yes", True), ("Y", True), ("t", True),
     ("0", False), ("false", False), ("no", False), ("", False), ("2", False), ("promo", False)],
)  # fmt: skip
def test_promo_is_true_only_for_one_true_yes_y_or_t_in_any_case(promo: str, expected: bool) -> None:
    [row] = parse(f"2026-01-05,A,,,1,,,{promo}\n")
    assert row[6] is expected


def test_a_file_with_only_a_header_has_no_rows() -> None:
    with pytest.raises(SalesImportError, match="no rows"):
        parse("")
