"""D1: the dashboard in headless Chromium: sign in, tiles equal the API's figures for seeded data, charts
drawn, an alert raised during the test appears without a reload, and the console stays free of errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from domain.alerts import Finding
from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from infrastructure.identity.users import add_user
from tests.api.conftest import Api
from tests.api.insight_seed import seed

PASSWORD = "correct horse battery staple"
WATCH = Meta(actor=Actor("alerts", "worker", "worker"), correlation_id="browser-test")


def wait(driver: webdriver.Chrome, condition: Any, seconds: float = 20) -> Any:
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(condition)


def sign_in(driver: webdriver.Chrome, base: str) -> None:
    driver.get(f"{base}/dashboard")
    driver.find_element(By.ID, "username").send_keys("manager")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "signin-button").click()
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")


def show_january(driver: webdriver.Chrome) -> None:
    driver.execute_script(
        "document.body.dataset.ready = 'false';"
        "document.getElementById('from').value = '2026-01-01'; document.getElementById('to').value = '2026-02-01';"
    )
    driver.find_element(By.ID, "refresh").click()
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")


def tile(driver: webdriver.Chrome, path: str) -> tuple[Any, str]:
    element = driver.find_element(By.CSS_SELECTOR, f'[data-kpi="{path}"]')
    return json.loads(element.get_attribute("data-raw") or "null"), element.find_element(By.CLASS_NAME, "value").text


async def test_the_dashboard_shows_the_apis_figures_and_live_alerts(
    api: Api, container: Container, server: str, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    await seed(api, container)
    await api.seen("/api/v1/orders?limit=1", container.app.position())
    add_user(container.settings.require_database_url(), "manager", PASSWORD, ["ops"])
    async with httpx.AsyncClient(base_url=server) as client:  # the same figures over real HTTP
        login = await client.post("/api/v1/auth/token", json={"username": "manager", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        kpis = await client.get("/api/v1/kpis?from=2026-01-01&to=2026-02-01&compare=previous", headers=headers)
    expected = kpis.json()

    sign_in(browser, server)
    show_january(browser)
    assert tile(browser, "orders.count") == (expected["orders"]["count"], "4")
    assert tile(browser, "sales.revenue") == (expected["sales"]["revenue"], "75.00 EUR")
    assert tile(browser, "inventory.value") == (expected["inventory"]["value"], "444.00 EUR")
    assert tile(browser, "orders.fill_rate_units") == (expected["orders"]["fill_rate_units"], "37.5%")
    assert tile(browser, "tickets.sla_breach_rate") == (expected["tickets"]["sla_breach_rate"], "50.0%")
    for chart in ("chart-sales", "chart-processing", "chart-inventory", "chart-tickets"):
        assert browser.find_element(By.ID, chart).get_attribute("data-rendered") == "true"
    slow = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#slow tr")]
    assert any(row.startswith("C W2 50") for row in slow)

    wait(browser, lambda d: d.find_element(By.ID, "stream-state").text == "live")
    container.app.raise_alert(Finding("parked_job", "4242", "critical", {"job_id": 4242}), ["ops"], WATCH)
    item = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#alerts li[data-kind="parked_job"]'))
    assert "4242" in item[0].text

    assert not browser.find_element(By.ID, "signin").is_displayed()
    browser.save_screenshot(str(tmp_path / "dashboard.png"))  # the run's artifact
    if os.environ.get("SHOPOPS_DASHBOARD_SCREENSHOT"):  # the README's picture
        browser.save_screenshot(os.environ["SHOPOPS_DASHBOARD_SCREENSHOT"])
    browser.find_element(By.ID, "lang").click()
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "运营看板"
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, '[data-kpi="orders.count"] .label').text == "订单数")
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
