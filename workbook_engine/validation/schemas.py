"""pandera DataFrameModels: what a valid row of each canonical sheet is, column by column.

The frames checked here are typed (see parsing.py): one row per record, indexed by the Excel row number,
money and plan as floats, blanks as None. Every field declares, where it is defined, the catalogue code of
each of its checks (``coded``), so the failure cases pandera collects in one lazy pass become cell-precise
findings; a check that declares no code still becomes a finding (WBE-E099), never nothing. A blank in a
field that is not nullable is WBE-E010 everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

from ..framework import canonical_level1
from ..sheets.goals import CATEGORIES
from ..values import decimals_of
from .pandera_import import Series, dtypes, pa, pandas_engine

DEPT_CODE_PATTERN = r"^\d{6}$"
PROJECT_CODE_PATTERN = r"^\d{6}\d{2}P[0-9A-Za-z]{12}$"


@pandas_engine.Engine.register_dtype
@dtypes.immutable(init=True)
class Text(pandas_engine.STRING):
    """pandera's string type, answering for the whole column when the column's dtype is the string dtype.

    pandera's own answers an exactly matching column with an array of True, one per cell, which it then
    searches for failure cases: half a millisecond per text column, six times a number column's check and
    half of all the schema checking of a small workbook (issue 25). A column of another dtype is judged
    as pandera judges it, cell by cell."""

    def check(self, pandera_dtype: Any, data_container: Any = None) -> Any:
        if data_container is not None and super().check(pandera_dtype) is True:
            return True
        return super().check(pandera_dtype, data_container)


CODES_KEY = "wbe_codes"  # the key of a field's pandera metadata that holds its checks' codes
MISSING = "WBE-E010"  # pandera's not_nullable, for every field


def coded(codes: Mapping[str, str], **field: Any) -> Any:
    """A pandera field whose checks name the catalogue code they report: pandera's check name (as in its
    failure cases: ``str_matches``, ``greater_than_or_equal_to``, or a custom check's name) -> code."""
    return pa.Field(metadata={CODES_KEY: dict(codes)}, **field)


MONEY = {"greater_than_or_equal_to": "WBE-E012", "cents": "WBE-E013"}
PLAN = {"in_range": "WBE-E015"}
DEPT_CODE = {"str_matches": "WBE-E017"}
PROJECT_CODE = {"str_matches": "WBE-E018"}
SEQ = {"greater_than_or_equal_to": "WBE-E021"}


def _at_most_two_decimals(value: object) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True
    return decimals_of(Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))) <= 2


def _is_level1(value: object) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True
    return canonical_level1(str(value)) is not None


class SheetModel(pa.DataFrameModel):
    """A canonical sheet's frame: columns staff add are kept (not strict), values as read (no coercion)."""

    class Config:
        strict = False
        coerce = False


class GoalsSchema(SheetModel):
    dept_code: Series[Text] = coded(DEPT_CODE, nullable=False, str_matches=DEPT_CODE_PATTERN)
    dept_name: Series[Text] = pa.Field(nullable=False)
    year: Series[pd.Int64Dtype] = coded({"in_range": "WBE-E020"}, nullable=False,
                                     in_range={"min_value": 2000, "max_value": 2100})
    category: Series[Text] = coded({"isin": "WBE-E022"}, nullable=False, isin=list(CATEGORIES))
    seq: Series[pd.Int64Dtype] = coded(SEQ, nullable=False, ge=1)
    title: Series[Text] = pa.Field(nullable=True)
    content: Series[Text] = pa.Field(nullable=False)


class ProjectsSchema(SheetModel):
    dept_code: Series[Text] = coded(DEPT_CODE, nullable=False, str_matches=DEPT_CODE_PATTERN)
    seq: Series[pd.Int64Dtype] = coded(SEQ, nullable=False, ge=1)
    code: Series[Text] = coded(PROJECT_CODE, nullable=False, str_matches=PROJECT_CODE_PATTERN)
    name: Series[Text] = pa.Field(nullable=False)
    table_title: Series[Text] = pa.Field(nullable=True)
    budget: Series[float] = coded(MONEY, nullable=False, ge=0)
    fiscal: Series[float] = coded(MONEY, nullable=False, ge=0)
    other: Series[float] = coded(MONEY, nullable=True, ge=0)
    purpose: Series[Text] = pa.Field(nullable=False)
    q1: Series[float] = coded(PLAN, nullable=False, in_range={"min_value": 0, "max_value": 100})
    q2: Series[float] = coded(PLAN, nullable=False, in_range={"min_value": 0, "max_value": 100})
    q3: Series[float] = coded(PLAN, nullable=False, in_range={"min_value": 0, "max_value": 100})
    q4: Series[float] = coded(PLAN, nullable=False, in_range={"min_value": 0, "max_value": 100})
    goal: Series[Text] = pa.Field(nullable=False)

    @pa.check("budget", "fiscal", "other", name="cents", element_wise=True)
    def cents(cls, value: float) -> bool:  # noqa: N805 - pandera passes the class
        return _at_most_two_decimals(value)


class IndicatorsSchema(SheetModel):
    dept_code: Series[Text] = coded(DEPT_CODE, nullable=False, str_matches=DEPT_CODE_PATTERN)
    project_code: Series[Text] = coded(PROJECT_CODE, nullable=False, str_matches=PROJECT_CODE_PATTERN)
    seq: Series[pd.Int64Dtype] = coded(SEQ, nullable=False, ge=1)
    level1: Series[Text] = coded({"level1": "WBE-E023"}, nullable=False)
    level2: Series[Text] = pa.Field(nullable=False)
    level3: Series[Text] = pa.Field(nullable=False)
    description: Series[Text] = pa.Field(nullable=True)
    value: Series[Text] = pa.Field(nullable=False)
    basis: Series[Text] = pa.Field(nullable=True)

    @pa.check("level1", name="level1", element_wise=True)
    def level1_known(cls, value: str) -> bool:  # noqa: N805
        return _is_level1(value)


SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "goals": GoalsSchema,
    "projects": ProjectsSchema,
    "indicators": IndicatorsSchema,
}
