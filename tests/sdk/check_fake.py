#!/usr/bin/env python3
"""Parses the fake Alpaca's JSON with Alpaca's official Python SDK (alpaca-py).

Usage:
    python3 tests/sdk/check_fake.py BASE_URL [KEY SECRET] [--now RFC3339]
        [--symbol SPY --qty 12.5 --client-order-id ID --order-symbol AAPL]

BASE_URL is the fake's root (`http://127.0.0.1:PORT`, as `aurora sim serve` prints it).
KEY and SECRET default to the fake's defaults (aurora::sim::DEFAULT_KEY / DEFAULT_SECRET).
The fake must hold exactly one position (--symbol, --qty) and at least one order
(--client-order-id, --order-symbol): tests/sdk_compat.rs seeds them with the defaults below.
With --now, the clock is expected to read that instant (within two minutes).

Every call goes through alpaca-py's TradingClient, so each response is validated by the
SDK's pydantic models; the checks then assert the parsed values. Exit status: 0 when every
check passes, 1 when any fails, 3 when alpaca-py is not installed.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

try:
    from zoneinfo import ZoneInfo

    NEW_YORK = ZoneInfo("America/New_York")
except Exception:  # no system tz database: pytz comes with alpaca-py's dependencies
    import pytz

    NEW_YORK = pytz.timezone("America/New_York")

REQUIREMENTS_HINT = "run `pip install -r tests/sdk/requirements.txt`"

try:
    import alpaca
    from alpaca.common.exceptions import APIError
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import (
        AccountStatus,
        AssetClass,
        AssetExchange,
        AssetStatus,
        OrderClass,
        OrderSide,
        OrderStatus,
        OrderType,
        PositionSide,
        QueryOrderStatus,
        TimeInForce,
    )
    from alpaca.trading.models import Asset, Calendar, Clock, Order, Position, TradeAccount
    from alpaca.trading.requests import GetCalendarRequest, GetOrdersRequest
except ImportError as e:
    print(f"alpaca-py is not importable ({e}): {REQUIREMENTS_HINT}", file=sys.stderr)
    sys.exit(3)

DEFAULT_KEY = "PKSIMKEY0000000000"
DEFAULT_SECRET = "sim-secret-do-not-use"


def localize(naive: datetime) -> datetime:
    """Calendar times are America/New_York wall clock with no zone marker."""
    if hasattr(NEW_YORK, "localize"):
        return NEW_YORK.localize(naive)
    return naive.replace(tzinfo=NEW_YORK)


def aware(name: str, t: object) -> datetime:
    assert isinstance(t, datetime), f"{name} is {type(t).__name__}, not datetime: {t!r}"
    assert t.tzinfo is not None and t.utcoffset() is not None, f"{name} has no zone: {t!r}"
    return t


def dec(name: str, s: object) -> Decimal:
    assert isinstance(s, str), f"{name} is {type(s).__name__}, not a decimal string: {s!r}"
    return Decimal(s)


class Checks:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        base = args.base_url.rstrip("/")  # alpaca-py appends "/v2/..." itself
        self.client = TradingClient(
            api_key=args.key, secret_key=args.secret, paper=True, url_override=base
        )
        self.bad_client = TradingClient(
            api_key=args.key, secret_key=args.secret + "-wrong", paper=True, url_override=base
        )

    def account(self) -> None:
        a = self.client.get_account()
        assert isinstance(a, TradeAccount), type(a)
        assert isinstance(a.id, UUID), a.id
        assert a.status == AccountStatus.ACTIVE, a.status
        assert a.account_number, "empty account_number"
        assert a.currency == "USD", a.currency
        assert a.trading_blocked is False and a.account_blocked is False
        aware("created_at", a.created_at)
        cash = dec("cash", a.cash)
        lmv = dec("long_market_value", a.long_market_value)
        smv = dec("short_market_value", a.short_market_value)
        equity = dec("equity", a.equity)
        assert equity == cash + lmv + smv, f"equity {equity} != cash {cash} + lmv {lmv} + smv {smv}"
        assert dec("buying_power", a.buying_power) >= 0, a.buying_power
        dec("last_equity", a.last_equity)
        assert a.multiplier in ("1", "2", "4"), a.multiplier

    def clock(self) -> None:
        c = self.client.get_clock()
        assert isinstance(c, Clock), type(c)
        ts = aware("timestamp", c.timestamp)
        nopen = aware("next_open", c.next_open)
        nclose = aware("next_close", c.next_close)
        assert isinstance(c.is_open, bool), c.is_open
        assert ts < nopen and ts < nclose, f"next_open/next_close not after timestamp: {c}"
        if c.is_open:
            assert nclose < nopen, f"open, yet next_open {nopen} precedes next_close {nclose}"
        else:
            assert nopen < nclose, f"closed, yet next_close {nclose} precedes next_open {nopen}"
        if self.args.now is not None:
            drift = ts - self.args.now
            assert timedelta(0) <= drift < timedelta(minutes=2), f"timestamp {ts} vs --now {self.args.now}"
        # next_open / next_close agree with the calendar (as the SDK reads both).
        today = ts.astimezone(NEW_YORK).date()
        days = self.client.get_calendar(GetCalendarRequest(start=today, end=today + timedelta(days=14)))
        opens = [localize(d.open) for d in days if localize(d.open) > ts]
        closes = [localize(d.close) for d in days if localize(d.close) > ts]
        assert opens and nopen == opens[0], f"next_open {nopen} != calendar's {opens[:1]}"
        assert closes and nclose == closes[0], f"next_close {nclose} != calendar's {closes[:1]}"
        # is_open means inside today's regular session.
        inside = any(localize(d.open) <= ts < localize(d.close) for d in days if d.date == today)
        assert c.is_open == inside, f"is_open {c.is_open} but calendar says {inside}"

    def calendar(self) -> None:
        req = GetCalendarRequest(start=date(2026, 11, 23), end=date(2026, 11, 30))
        days = self.client.get_calendar(req)
        assert all(isinstance(d, Calendar) for d in days), days
        got = [d.date for d in days]
        want = [date(2026, 11, d) for d in (23, 24, 25, 27, 30)]  # Thanksgiving (26th) is absent
        assert got == want, f"dates {got} != {want}"
        for d in days:
            assert isinstance(d.open, datetime) and isinstance(d.close, datetime), d
            assert d.open == datetime(d.date.year, d.date.month, d.date.day, 9, 30), d
            close = (13, 0) if d.date == date(2026, 11, 27) else (16, 0)
            assert (d.close.date(), d.close.hour, d.close.minute) == (d.date, *close), d

    def _check_position(self, p: object) -> None:
        assert isinstance(p, Position), type(p)
        assert isinstance(p.asset_id, UUID), p.asset_id
        assert p.symbol == self.args.symbol, p.symbol
        assert p.qty == self.args.qty, f"qty {p.qty!r} != {self.args.qty!r}"
        assert p.qty_available == self.args.qty, f"qty_available {p.qty_available!r}"
        assert p.side == (PositionSide.SHORT if p.qty.startswith("-") else PositionSide.LONG), p.side
        assert isinstance(p.exchange, AssetExchange), p.exchange
        assert p.asset_class == AssetClass.US_EQUITY, p.asset_class
        qty = dec("qty", p.qty)
        price = dec("current_price", p.current_price)
        assert dec("market_value", p.market_value) == qty * price, (p.market_value, qty, price)
        assert dec("cost_basis", p.cost_basis) == qty * dec("avg_entry_price", p.avg_entry_price)
        for f in ("unrealized_pl", "unrealized_plpc", "unrealized_intraday_pl",
                  "unrealized_intraday_plpc", "lastday_price", "change_today"):
            dec(f, getattr(p, f))

    def positions(self) -> None:
        ps = self.client.get_all_positions()
        assert len(ps) == 1, f"{len(ps)} positions: {ps}"
        self._check_position(ps[0])

    def open_position(self) -> None:
        self._check_position(self.client.get_open_position(self.args.symbol))

    def missing_position_is_api_error(self) -> None:
        try:
            self.client.get_open_position("ZZZZ")
        except APIError as e:
            assert e.status_code == 404, e.status_code
            assert e.code == 40410000, e.code
            assert e.message, "no message"
            return
        raise AssertionError("get_open_position('ZZZZ') did not raise APIError")

    def asset(self) -> None:
        a = self.client.get_asset(self.args.order_symbol)
        assert isinstance(a, Asset), type(a)
        assert isinstance(a.id, UUID), a.id
        assert a.symbol == self.args.order_symbol, a.symbol
        assert a.asset_class == AssetClass.US_EQUITY, a.asset_class
        assert isinstance(a.exchange, AssetExchange) and a.exchange != AssetExchange.EMPTY, a.exchange
        assert a.status == AssetStatus.ACTIVE, a.status
        assert a.tradable is True and a.fractionable is True, a
        assert a.name, "empty name"

    def unknown_asset_is_api_error(self) -> None:
        try:
            self.client.get_asset("ZZZZ")
        except APIError as e:
            assert e.status_code == 404 and e.code == 40410000, (e.status_code, e.code)
            return
        raise AssertionError("get_asset('ZZZZ') did not raise APIError")

    def all_assets(self) -> None:
        assets = self.client.get_all_assets()
        assert assets and all(isinstance(a, Asset) for a in assets), assets
        symbols = {a.symbol for a in assets}
        for s in (self.args.symbol, self.args.order_symbol):
            assert s in symbols, f"{s} missing from get_all_assets"
        assert len({a.id for a in assets}) == len(assets), "asset ids are not unique"

    def orders(self) -> None:
        orders = self.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))
        assert all(isinstance(o, Order) for o in orders), orders
        mine = [o for o in orders if o.client_order_id == self.args.client_order_id]
        assert len(mine) == 1, f"client_order_id {self.args.client_order_id!r} not found once in {orders}"
        o = mine[0]
        assert isinstance(o.id, UUID) and isinstance(o.asset_id, UUID), (o.id, o.asset_id)
        assert o.symbol == self.args.order_symbol, o.symbol
        assert o.asset_class == AssetClass.US_EQUITY, o.asset_class
        assert o.order_class == OrderClass.SIMPLE, o.order_class
        assert o.type == OrderType.LIMIT and o.order_type == OrderType.LIMIT, (o.type, o.order_type)
        assert o.side == OrderSide.BUY, o.side
        assert o.time_in_force == TimeInForce.DAY, o.time_in_force
        assert o.status == OrderStatus.ACCEPTED, o.status
        assert o.qty == self.args.order_qty, f"qty {o.qty!r} != {self.args.order_qty!r}"
        assert o.filled_qty == "0" and o.filled_avg_price is None, (o.filled_qty, o.filled_avg_price)
        assert o.limit_price == self.args.limit_price, o.limit_price
        assert o.extended_hours is False, o.extended_hours
        for f in ("created_at", "updated_at", "submitted_at"):
            aware(f, getattr(o, f))
        assert o.filled_at is None and o.canceled_at is None, o
        # The default query (open orders) holds it too; an accepted order is open.
        open_ids = {x.id for x in self.client.get_orders()}
        assert o.id in open_ids, "accepted order missing from open orders"

    def bad_credentials_are_api_error(self) -> None:
        try:
            self.bad_client.get_account()
        except APIError as e:
            assert e.status_code in (401, 403), e.status_code
            return
        raise AssertionError("a wrong secret was accepted")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("base_url")
    p.add_argument("key", nargs="?", default=DEFAULT_KEY)
    p.add_argument("secret", nargs="?", default=DEFAULT_SECRET)
    p.add_argument("--now", type=lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")))
    p.add_argument("--symbol", default="SPY", help="the one position's symbol")
    p.add_argument("--qty", default="12.5", help="its qty, exactly as the JSON string")
    p.add_argument("--client-order-id", default="sdk-compat-0001")
    p.add_argument("--order-symbol", default="AAPL")
    p.add_argument("--order-qty", default="3")
    p.add_argument("--limit-price", default="150.25")
    args = p.parse_args(argv)
    if args.now is not None and args.now.tzinfo is None:
        args.now = args.now.replace(tzinfo=timezone.utc)
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    print(f"alpaca-py {getattr(alpaca, '__version__', '?')} against {args.base_url}")
    checks = Checks(args)
    names = [
        "account",
        "clock",
        "calendar",
        "positions",
        "open_position",
        "missing_position_is_api_error",
        "asset",
        "unknown_asset_is_api_error",
        "all_assets",
        "orders",
        "bad_credentials_are_api_error",
    ]
    passed = failed = 0
    for name in names:
        try:
            getattr(checks, name)()
        except Exception as e:  # pydantic ValidationError, APIError, AssertionError, ...
            failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"sdk-check: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
