/** The shell's logic that needs no DOM: exact money, times and durations, addresses, the first locale. */
import type { Money } from "@kam/client";
import { describe, expect, test } from "vitest";
import { parseRoute, pathOf, type Route } from "../src/app/router";
import { addMoney, chartValue, decimalText, formatMoney, parseMoney } from "../src/format/money";
import { formatDate, formatMinutes } from "../src/format/time";
import { initialLocale } from "../src/i18n/i18n";

const money = (units: bigint, nanos = 0, currencyCode = "EUR"): Money => ({
  $typeName: "kam.v1.Money",
  currencyCode,
  units,
  nanos,
});

describe("decimalText", () => {
  test("is exact beyond a float's 15 digits", () => {
    expect(decimalText(money(999_999_999_999_999n, 999_999_999))).toBe("999999999999999.999999999");
    expect(decimalText(money(9_223_372_036_854_775_807n))).toBe("9223372036854775807");
  });
  test("keeps the sign of negative amounts and of amounts under one unit", () => {
    expect(decimalText(money(-1234n, -500_000_000))).toBe("-1234.5");
    expect(decimalText(money(0n, -500_000_000))).toBe("-0.5");
  });
  test("writes nanos without trailing zeros", () => {
    expect(decimalText(money(0n, 1))).toBe("0.000000001");
    expect(decimalText(money(12n, 50_000_000))).toBe("12.05");
    expect(decimalText(money(7n))).toBe("7");
    expect(decimalText(money(0n))).toBe("0");
  });
});

describe("parseMoney", () => {
  test("accepts plain, negative, signed and thousands-separated amounts", () => {
    expect(parseMoney("1234.56", "EUR")).toEqual(money(1234n, 560_000_000));
    expect(parseMoney("-0.5", "EUR")).toEqual(money(0n, -500_000_000));
    expect(parseMoney("1,234.56", "EUR")).toEqual(money(1234n, 560_000_000));
    expect(parseMoney(" 1 234 567 ", "CNY")).toEqual(money(1_234_567n, 0, "CNY"));
    expect(parseMoney("+3.", "EUR")).toEqual(money(3n));
    expect(parseMoney("0.000000001", "EUR")).toEqual(money(0n, 1));
  });
  test("minus zero is zero", () => {
    expect(parseMoney("-0", "EUR")).toEqual(money(0n));
  });
  test("refuses empty, malformed, too precise and too large amounts", () => {
    expect(parseMoney("", "EUR")).toBe("empty");
    expect(parseMoney("   ", "EUR")).toBe("empty");
    expect(parseMoney("12a", "EUR")).toBe("malformed");
    expect(parseMoney("1.2.3", "EUR")).toBe("malformed");
    expect(parseMoney("1e6", "EUR")).toBe("malformed");
    expect(parseMoney(".5", "EUR")).toBe("malformed");
    expect(parseMoney("1.2345678901", "EUR")).toBe("too_precise");
    expect(parseMoney("1000000000000001", "EUR")).toBe("too_large");
    expect(parseMoney("-1000000000000001", "EUR")).toBe("too_large");
  });
  test("10^15 itself is allowed, as the server allows it", () => {
    expect(parseMoney("1000000000000000", "EUR")).toEqual(money(1_000_000_000_000_000n));
  });
  test("round-trips through decimalText", () => {
    for (const text of ["0", "-0.5", "1234.56", "999999999999999.999999999", "-42.000000001"]) {
      const parsed = parseMoney(text, "EUR");
      expect(typeof parsed).toBe("object");
      expect(decimalText(parsed as Money)).toBe(text);
    }
  });
});

describe("formatMoney", () => {
  test("EUR in English and Chinese with two minor digits", () => {
    expect(formatMoney(money(1234n, 500_000_000), "en")).toBe("€1,234.50");
    expect(formatMoney(money(1234n, 500_000_000), "zh-CN")).toBe("€1,234.50");
    expect(formatMoney(money(-1234n, -500_000_000), "en")).toBe("-€1,234.50");
  });
  test("JPY with no minor digits", () => {
    expect(formatMoney(money(1_234_567n, 0, "JPY"), "en")).toBe("¥1,234,567");
    expect(formatMoney(money(1_234_567n, 0, "JPY"), "zh-CN")).toBe("JP¥1,234,567");
  });
  test("an amount with nine decimals is shown exactly, not rounded", () => {
    expect(formatMoney(money(1n, 123_456_789), "en")).toBe("€1.123456789");
    expect(formatMoney(money(999_999_999_999_999n, 999_999_999), "en")).toBe("€999,999,999,999,999.999999999");
  });
  test("CNY in Chinese", () => {
    expect(formatMoney(money(88n, 0, "CNY"), "zh-CN")).toBe("¥88.00");
  });
});

describe("addMoney", () => {
  test("carries nanos into units", () => {
    expect(addMoney(money(1n, 600_000_000), money(2n, 700_000_000))).toEqual(money(4n, 300_000_000));
  });
  test("keeps units and nanos of one sign", () => {
    expect(addMoney(money(-1n, -500_000_000), money(0n, 700_000_000))).toEqual(money(0n, -800_000_000));
    expect(addMoney(money(1n, 500_000_000), money(0n, -700_000_000))).toEqual(money(0n, 800_000_000));
    expect(addMoney(money(-2n), money(1n, 500_000_000))).toEqual(money(0n, -500_000_000));
  });
  test("is exact for large sums", () => {
    expect(decimalText(addMoney(money(999_999_999_999_999n, 999_999_999), money(0n, 1)))).toBe("1000000000000000");
  });
});

test("chartValue is a float for drawing only", () => {
  expect(chartValue(money(-1n, -250_000_000))).toBe(-1.25);
});

describe("formatMinutes", () => {
  test("in English", () => {
    expect(formatMinutes(45, "en")).toBe("45 min");
    expect(formatMinutes(200, "en")).toBe("3 h 20 min");
    expect(formatMinutes(2 * 1440 + 4 * 60 + 30, "en")).toBe("2 d 4 h");
    expect(formatMinutes(0, "en")).toBe("0 min");
    expect(formatMinutes(-90, "en")).toBe("-1 h 30 min");
    expect(formatMinutes(1440, "en")).toBe("1 d");
  });
  test("in Chinese", () => {
    expect(formatMinutes(45, "zh-CN")).toBe("45分钟");
    expect(formatMinutes(200, "zh-CN")).toBe("3小时20分钟");
    expect(formatMinutes(2 * 1440 + 4 * 60, "zh-CN")).toBe("2天4小时");
    expect(formatMinutes(-30, "zh-CN")).toBe("-30分钟");
  });
});

describe("formatDate", () => {
  test("a full date in both locales", () => {
    const date = { $typeName: "kam.v1.Date", year: 2026, month: 12, day: 6 } as const;
    expect(formatDate(date, "en")).toBe("Dec 6, 2026");
    expect(formatDate(date, "zh-CN")).toBe("2026年12月6日");
  });
  test("a recurring date (year 0) has no year, even on 29 February", () => {
    expect(formatDate({ $typeName: "kam.v1.Date", year: 0, month: 3, day: 14 }, "en")).toBe("Mar 14");
    expect(formatDate({ $typeName: "kam.v1.Date", year: 0, month: 3, day: 14 }, "zh-CN")).toBe("3月14日");
    expect(formatDate({ $typeName: "kam.v1.Date", year: 0, month: 2, day: 29 }, "en")).toBe("Feb 29");
  });
  test("an absent or empty date is blank", () => {
    expect(formatDate(undefined, "en")).toBe("");
    expect(formatDate({ $typeName: "kam.v1.Date", year: 0, month: 0, day: 0 }, "en")).toBe("");
  });
});

describe("routes", () => {
  const routes: Route[] = [
    { page: "accounts" },
    { page: "account", id: "0196f3a2-7c1e-7000-8000-000000000001" },
    { page: "account", id: "a/b c?#" },
    { page: "funnel" },
    { page: "service" },
    { page: "request", id: "req-1" },
    { page: "tiers" },
    { page: "teams" },
  ];
  test.each(routes)("$page $id round-trips through its address", (route) => {
    expect(parseRoute(pathOf(route))).toEqual(route);
  });
  test("the start page and /accounts are the account list; trailing slashes are ignored", () => {
    expect(pathOf({ page: "accounts" })).toBe("/");
    expect(parseRoute("/accounts")).toEqual({ page: "accounts" });
    expect(parseRoute("/funnel/")).toEqual({ page: "funnel" });
  });
  test.each(["/nowhere", "/funnel/x", "/tiers/x", "/teams/x", "/accounts/a/b", "/service/1/2"])(
    "%s is not found, keeping its address",
    (path) => {
      expect(parseRoute(path)).toEqual({ page: "not_found", path });
      expect(pathOf(parseRoute(path))).toBe(path);
    },
  );
  // decodeURIComponent throws on a malformed escape: a truncated link must not crash the app.
  test("a malformed escape in the address is not found, not a crash", () => {
    expect(parseRoute("/accounts/%E0%A4%A")).toEqual({ page: "not_found", path: "/accounts/%E0%A4%A" });
  });
});

describe("initialLocale", () => {
  test("a stored choice wins", () => {
    expect(initialLocale("en", ["zh-CN"])).toBe("en");
    expect(initialLocale("zh-CN", ["en-US"])).toBe("zh-CN");
  });
  test("otherwise Chinese when any browser language is Chinese, else English", () => {
    expect(initialLocale(null, ["en-US", "zh-TW"])).toBe("zh-CN");
    expect(initialLocale(null, ["ZH"])).toBe("zh-CN");
    expect(initialLocale(null, ["de-DE", "en"])).toBe("en");
    expect(initialLocale(null, [])).toBe("en");
  });
  test("an unknown stored value is ignored", () => {
    expect(initialLocale("fr", ["zh-Hans-CN"])).toBe("zh-CN");
  });
});
