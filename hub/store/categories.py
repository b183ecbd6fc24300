"""Category rules: loan periods, the training a category needs, preventive service and
depreciation. A category named for the first time is made (24-hour loans)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update

from hub.domain.valuation import Depreciation, Method
from hub.store.base import StoreBase
from hub.store.schema import categories


class Categories(StoreBase):
    def set_loan_period(self, category: str, period: str, amount: int) -> None:
        """A category's loan period: ``minutes``, ``hours`` or ``days`` with an amount, or
        ``next_opening``."""
        self._category(category, period=period, amount=amount)

    def set_loan_hours(self, category: str, hours: int) -> None:
        self.set_loan_period(category, "hours", hours)

    def require_training(self, category: str, training: str | None) -> None:
        """Only people holding ``training`` may borrow items of ``category`` (None: anyone)."""
        self._category(category, requires=training)

    def set_service_rule(
        self, category: str, every_days: int | None, every_checkouts: int | None
    ) -> None:
        self._category(category, service_days=every_days, service_checkouts=every_checkouts)

    def set_depreciation(
        self, category: str, method: Method, life_years: int, salvage_pct: int = 0
    ) -> None:
        Depreciation(method, life_years, salvage_pct)  # validates
        self._category(
            category,
            depreciation=method.value,
            life_years=life_years,
            salvage_pct=salvage_pct,
        )

    def _category(self, category: str, **values: Any) -> None:
        """Set some of a category's rules, making the category (24-hour loans) if it is new."""
        with self._tx() as conn:
            done = conn.execute(
                update(categories).where(categories.c.name == category).values(**values)
            )
            if done.rowcount == 0:
                conn.execute(
                    insert(categories).values(**{"name": category, "amount": 24, **values})
                )
