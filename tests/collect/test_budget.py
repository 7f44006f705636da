"""The budget's arithmetic: worst-case reservations, settlement, prices and the stop line."""

from __future__ import annotations

import asyncio

import pytest

from fingerprint.collect.budget import (Budget, BudgetLimits, Price, budget_from_args,
                                        parse_price, prompt_token_bound)
from fingerprint.errors import BudgetExceededError, SpecError
from fingerprint.models.base import ChatRequest
from fingerprint.models.spec import parse_spec

REQ = ChatRequest(messages=({"role": "system", "content": "Be brief."},
                            {"role": "user", "content": "Grüß dich"}), max_tokens=10, n=2)
SPEC = parse_spec("openai/gpt-4o")


def test_prompt_bound_counts_utf8_bytes_and_template_allowance():
    # "Be brief." 9 + "system" 6, "Grüß dich" 11 bytes + "user" 4, 2 × 8 per message, 64
    assert prompt_token_bound(REQ) == 9 + 6 + 11 + 4 + 16 + 64


def test_parse_price_and_errors():
    assert parse_price("openai/gpt-4o=2.5,10") == ("openai/gpt-4o", Price(2.5, 10.0))
    assert parse_price("openai-api/svc/m:7b=0,0.5")[0] == "openai-api/svc/m:7b"
    for bad in ("openai/gpt-4o", "openai/gpt-4o=1", "=1,2", "m=-1,2", "m=a,b", "m=nan,1"):
        with pytest.raises(SpecError, match="SPEC=IN,OUT"):
            parse_price(bad)
    with pytest.raises(SpecError, match="--max-tokens"):
        budget_from_args(max_tokens=-1)


def test_money_budget_needs_every_price():
    limits = budget_from_args(max_cost=1.0, prices=["openai/gpt-4o=2.5,10"])
    limits.check_prices([SPEC, parse_spec("zoo/teacher")])  # zoo is free
    with pytest.raises(SpecError, match="--price anthropic/claude"):
        limits.check_prices([parse_spec("anthropic/claude")])


def test_reserve_settle_and_refusal():
    async def scenario():
        prices = {"openai/gpt-4o": Price(1e6, 2e6)}  # $1 a prompt token, $2 a completion token
        budget = Budget(BudgetLimits(max_cost=500.0, prices=prices))
        worst_prompt = prompt_token_bound(REQ)
        held = await budget.reserve(SPEC, REQ)
        assert held.cost == worst_prompt * 1.0 + 20 * 2.0 and budget.cost == held.cost
        budget.settle(SPEC, held, {"prompt_tokens": 30, "completion_tokens": 12})
        assert budget.cost == pytest.approx(30 + 24) and budget.tokens == 42
        held = await budget.reserve(SPEC, REQ)
        budget.settle(SPEC, held, None)  # refused: no charge, but the request counts
        assert budget.cost == pytest.approx(54) and budget.requests == 2
        held = await budget.reserve(SPEC, REQ)
        budget.settle(SPEC, held, None, keep_worst=True)  # unknown outcome: worst case kept
        assert budget.cost == pytest.approx(54 + held.cost)
        with pytest.raises(BudgetExceededError) as err:
            while True:
                h = await budget.reserve(SPEC, REQ)
                budget.settle(SPEC, h, None, keep_worst=True)
        assert budget.cost <= 500.0 and budget.exhausted == "cost"
        line = str(err.value)
        assert "budget reached" in line and "Raise --max-cost" in line and "\n" not in line

    asyncio.run(scenario())


def test_a_waiting_reservation_proceeds_when_another_settles():
    async def scenario():
        worst = prompt_token_bound(REQ) + 20
        budget = Budget(BudgetLimits(max_tokens=worst + 5))
        first = await budget.reserve(SPEC, REQ)
        second = asyncio.ensure_future(budget.reserve(SPEC, REQ))
        await asyncio.sleep(0)
        assert not second.done()  # waits: the first may settle for less
        budget.settle(SPEC, first, {"prompt_tokens": 3, "completion_tokens": 2})
        held = await asyncio.wait_for(second, 1.0)
        assert budget.tokens == 5 + held.prompt_tokens + held.completion_tokens

    asyncio.run(scenario())
